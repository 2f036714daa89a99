package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code wait-ready}: waits until the expected number of pods are ready, where ready means Running
 * with every container ready (2/2, not 1/2). The expected count is {@code replicas}, else the
 * workload's desired replicas, else "at least one, and all of them".
 */
public final class WaitReady implements Action<WaitReady.Args> {
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
              min = 0,
              description = "how many ready pods to expect (default: the workload's replicas)")
          Integer replicas,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "how long to wait (default 5m)")
          String timeout) {}

  public record Result(
      String namespace, int ready, int expected, List<String> pods, long waitedMillis) {}

  private final Supplier<KubernetesClient> clients;

  public WaitReady(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "wait-ready";
  }

  @Override
  public String description() {
    return "Wait until a workload's pods are ready (every container ready)";
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
    Integer expected =
        args.replicas() != null
            ? args.replicas()
            : target.workload() != null ? Integer.valueOf(target.workload().replicas()) : null;
    if (expected != null && expected < 0) {
      throw ActionException.invalid("'replicas' must be 0 or more");
    }
    Duration timeout = WaitPodsGone.timeout(args.timeout(), WaitPodsGone.DEFAULT_TIMEOUT);
    String what =
        (expected == null ? "all" : String.valueOf(expected)) + " ready " + target.describe();
    WaitCheckpoint cp = PodWait.start(ctx, what, timeout);
    List<Pod> pods;
    try {
      pods =
          PodWait.until(
              client.pods().inNamespace(target.namespace()).withLabels(target.selector()),
              list -> satisfied(list, expected),
              WaitReady::summary,
              cp,
              ctx);
    } catch (TimeoutException e) {
      throw ActionException.check(
          "timed out after "
              + WaitPodsGone.seconds(cp)
              + "s waiting for "
              + what
              + " (last seen: "
              + e.getMessage()
              + ")\n"
              + new PodDiagnostics(client).describeSelected(target.namespace(), target.selector()));
    }
    List<Pod> ready =
        pods.stream()
            .filter(Pods::ready)
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .toList();
    long waited = System.currentTimeMillis() - cp.startedAtMillis();
    ctx.log(ready.size() + " ready " + target.describe() + " after " + waited / 1000 + "s");
    return new Result(
        target.namespace(),
        ready.size(),
        expected == null ? ready.size() : expected,
        ready.stream().map(p -> p.getMetadata().getName()).toList(),
        waited);
  }

  static boolean satisfied(List<Pod> pods, Integer expected) {
    long ready = pods.stream().filter(Pods::ready).count();
    if (expected == null) {
      long live = pods.stream().filter(p -> !Pods.terminating(p)).count();
      return live > 0 && ready == live;
    }
    return ready >= expected;
  }

  static String summary(List<Pod> pods) {
    if (pods.isEmpty()) {
      return "no pods";
    }
    return pods.stream()
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .limit(5)
        .map(
            p ->
                p.getMetadata().getName()
                    + " "
                    + (Pods.terminating(p) ? "Terminating" : Pods.phase(p))
                    + " "
                    + Pods.readyCount(p))
        .collect(Collectors.joining(", "));
  }
}
