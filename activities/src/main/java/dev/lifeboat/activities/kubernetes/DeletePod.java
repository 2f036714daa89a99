package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** {@code delete-pod}: deletes a pod and waits until it is gone; a pod already gone is success. */
public final class DeletePod implements Action<DeletePod.Args> {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  public record Args(
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the pod (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "name of the pod (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String name,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "how long to wait until it is gone (default 2m)")
          String timeout) {}

  public record Result(String name, String namespace, boolean existed) {}

  private final Supplier<KubernetesClient> clients;

  public DeletePod(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "delete-pod";
  }

  @Override
  public String description() {
    return "Delete a pod (e.g. a helper pod) and wait until it is gone";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws InterruptedException {
    Workload.requireText(args.namespace(), "namespace");
    Workload.requireText(args.name(), "name");
    boolean existed =
        deleteAndWait(
            clients.get(),
            args.namespace(),
            args.name(),
            WaitPodsGone.timeout(args.timeout(), DEFAULT_TIMEOUT),
            ctx);
    ctx.log(
        existed
            ? "deleted pod " + args.namespace() + "/" + args.name()
            : "pod " + args.namespace() + "/" + args.name() + " was already gone");
    return new Result(args.name(), args.namespace(), existed);
  }

  boolean deleteAndWait(
      KubernetesClient client, String namespace, String name, Duration timeout, ActionContext ctx)
      throws InterruptedException {
    var pod = client.pods().inNamespace(namespace).withName(name);
    boolean existed = pod.get() != null;
    if (existed) {
      pod.delete();
    }
    WaitCheckpoint cp = PodWait.start(ctx, "pod " + namespace + "/" + name + " gone", timeout);
    try {
      PodWait.until(
          client.pods().inNamespace(namespace).withField("metadata.name", name),
          List::isEmpty,
          WaitPodsGone::summary,
          cp,
          ctx);
    } catch (TimeoutException e) {
      throw ActionException.check(
          "pod "
              + namespace
              + "/"
              + name
              + " is still there "
              + WaitPodsGone.seconds(cp)
              + "s after it was deleted\n"
              + new PodDiagnostics(client).describe(namespace, name));
    }
    return existed;
  }
}
