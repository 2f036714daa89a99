package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.Durations;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code wait-pods-gone}: waits until no pod of a workload (or label selector) exists, terminating
 * ones included.
 */
public final class WaitPodsGone implements Action<WaitPodsGone.Args> {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public record Args(
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the pods (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(required = false, description = "labels the pods carry (instead of kind and name)")
          Map<String, String> selector,
      @Arg(
              required = false,
              pattern = KubernetesNames.WORKLOAD_KIND,
              description = "Deployment or StatefulSet whose pods to wait for")
          String kind,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "name of the workload (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String name,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "how long to wait (default 5m)")
          String timeout) {}

  public record Result(String namespace, Map<String, String> selector, long waitedMillis) {}

  private final Supplier<KubernetesClient> clients;

  public WaitPodsGone(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "wait-pods-gone";
  }

  @Override
  public String description() {
    return "Wait until the pods of a workload or label selector are gone";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws InterruptedException {
    KubernetesClient client = clients.get();
    WaitTarget target =
        WaitTarget.of(client, args.namespace(), args.selector(), args.kind(), args.name());
    Duration timeout = timeout(args.timeout(), DEFAULT_TIMEOUT);
    WaitCheckpoint cp = PodWait.start(ctx, "no " + target.describe(), timeout);
    try {
      PodWait.until(
          client.pods().inNamespace(target.namespace()).withLabels(target.selector()),
          List::isEmpty,
          WaitPodsGone::summary,
          cp,
          ctx);
    } catch (TimeoutException e) {
      throw ActionException.check(
          "timed out after "
              + seconds(cp)
              + "s waiting until there are no "
              + target.describe()
              + "; still there:\n"
              + new PodDiagnostics(client).describeSelected(target.namespace(), target.selector()));
    }
    long waited = System.currentTimeMillis() - cp.startedAtMillis();
    ctx.log("no " + target.describe() + " left after " + waited / 1000 + "s");
    return new Result(target.namespace(), target.selector(), waited);
  }

  static String summary(List<Pod> pods) {
    if (pods.isEmpty()) {
      return "none left";
    }
    return pods.size()
        + " left: "
        + pods.stream()
            .limit(5)
            .map(
                p ->
                    p.getMetadata().getName()
                        + " "
                        + (Pods.terminating(p) ? "Terminating" : Pods.phase(p)))
            .collect(Collectors.joining(", "));
  }

  static Duration timeout(String text, Duration fallback) {
    if (text == null || text.isBlank()) {
      return fallback;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("'timeout': " + e.getMessage());
    }
  }

  static long seconds(WaitCheckpoint cp) {
    return (cp.deadlineMillis() - cp.startedAtMillis()) / 1000;
  }
}
