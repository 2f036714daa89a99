package dev.lifeboat.activities.local;

import static dev.lifeboat.activities.local.ContextProgress.require;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.RestoreResult;
import dev.lifeboat.activities.archive.SourceLock;
import dev.lifeboat.activities.kubernetes.PodVolumes;
import dev.lifeboat.runbook.KubernetesNames;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code restore}: extracts an archive (default the latest) into a local directory, digests
 * checked.
 */
public final class RestoreAction implements Action<RestoreAction.Args> {
  /**
   * What to restore where; {@code clean} allows replacing a non-empty target after a full verify.
   */
  public record Args(
      @Arg(required = false, description = "where to restore: local (default), pod or pvc")
          String to,
      @Arg(
              required = false,
              description =
                  "the target directory (in the pod for to: pod; default /data for " + "to: pvc)")
          String path,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(
              required = false,
              description = "source name; not needed when archive is an absolute path")
          String source,
      @Arg(
              required = false,
              description =
                  "an absolute path, an archive file name (20261122T020000Z.tar.gz) or latest"
                      + " (the default)",
              pattern = VerifyAction.ARCHIVE_PATTERN)
          String archive,
      @Arg(
              required = false,
              description = "replace the target's contents (after verifying the archive)")
          Boolean clean,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the pod or PVC (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "pod name (to: pod) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pod,
      @Arg(
              required = false,
              pattern = KubernetesNames.WORKLOAD,
              description =
                  "Deployment/StatefulSet whose ready pod to use as kind/name, kind deployment or"
                      + " statefulset, e.g. deployment/jupyterhub (to: pod)")
          String workload,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "container, default the first (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String container,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "the PVC to mount in a helper pod (to: pvc) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pvc,
      @Arg(required = false, description = "helper pod image (to: pvc), needs sh and tar")
          String image,
      @Arg(required = false, description = "node hint for a ReadWriteOnce PVC (to: pvc)")
          String lastNode) {
    public Args {
      to = to == null ? "local" : to;
      set = set == null && !VerifyAction.isAbsolute(archive) ? "local" : set;
      clean = clean != null && clean;
    }
  }

  /** Where what was restored from. */
  public record Output(String archive, String target, long files, long bytes) {}

  private final Repository repository;
  private final PodVolumes pods;

  /** Local directories only; {@code to: pod|pvc} answer that Kubernetes is not configured. */
  public RestoreAction(Repository repository) {
    this(repository, null);
  }

  public RestoreAction(Repository repository, PodVolumes pods) {
    this.repository = repository;
    this.pods = pods;
  }

  @Override
  public String name() {
    return "restore";
  }

  @Override
  public String description() {
    return "Restore an archive (default the latest) into a local directory";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    if (args.to().equals("pod") || args.to().equals("pvc")) {
      return toKubernetes(args, context);
    }
    if (!args.to().equals("local")) {
      throw ActionException.invalid(
          "action 'restore': to '" + args.to() + "' is unknown (local, pod or pvc)");
    }
    Path target = Path.of(require(args.path(), name(), "path")).toAbsolutePath().normalize();
    String source =
        args.source() != null || VerifyAction.isAbsolute(args.archive())
            ? args.source()
            : target.getFileName() == null ? null : BackupAction.sourceOf(target, "restore");
    ArchiveRef found = VerifyAction.resolve(repository, name(), args.set(), source, args.archive());
    // one writer per source: a prune cannot delete the archive while it is read
    try (SourceLock lock =
        repository.lockArchive(found, context.runId(), new ContextProgress(context))) {
      return restoreLocked(args, context, target, source);
    }
  }

  private Output restoreLocked(Args args, ActionContext context, Path target, String source)
      throws Exception {
    // resolved again under the lock: what was latest before the wait may have been pruned or found
    // damaged
    ArchiveRef ref = VerifyAction.resolve(repository, name(), args.set(), source, args.archive());
    context.message("restoring " + ref.name() + " into " + target);
    RestoreResult r =
        repository.checked(
            ref,
            name(),
            () ->
                repository.restoreToDirectory(
                    ref, target, args.clean(), new ContextProgress(context)));
    if (r.emptiedInterrupted()) {
      context.log(
          target
              + " held an interrupted restore (its .lifeboat-restore-incomplete-<token> marker,"
              + " recorded in the repository); its contents were removed before restoring");
    }
    context.log(
        "restored "
            + r.files()
            + " files ("
            + r.bytes()
            + " bytes) from "
            + ref.path()
            + " into "
            + target);
    return new Output(ref.path().toString(), r.target().toString(), r.files(), r.bytes());
  }

  private Output toKubernetes(Args args, ActionContext context) throws Exception {
    if (pods == null) {
      throw ActionException.invalid(
          "action 'restore': to '"
              + args.to()
              + "' needs Kubernetes, "
              + "which this worker is not configured for");
    }
    ContextProgress.require(args.namespace(), name(), "namespace");
    if (args.to().equals("pvc")) {
      ContextProgress.require(args.pvc(), name(), "pvc");
    } else {
      ContextProgress.require(args.path(), name(), "path");
      if ((args.pod() == null || args.pod().isBlank())
          && (args.workload() == null || args.workload().isBlank())) {
        throw ActionException.invalid("action 'restore': to: pod needs 'pod' or 'workload'");
      }
    }
    String source =
        args.source() != null ? args.source() : args.to().equals("pvc") ? args.pvc() : null;
    Map<String, Object> out =
        pods.restore(
            new PodVolumes.Location(
                args.namespace(),
                args.pod(),
                args.workload(),
                args.container(),
                args.to().equals("pvc") ? args.pvc() : null,
                args.image(),
                args.lastNode()),
            args.path(),
            args.clean(),
            new RepositoryTarArchives(repository),
            args.set(),
            source,
            args.archive(),
            context);
    String where =
        args.namespace()
            + "/"
            + (args.to().equals("pvc") ? "pvc " + args.pvc() : String.valueOf(out.get("pod")))
            + ":"
            + (args.path() == null ? "/data" : args.path());
    return new Output(
        String.valueOf(out.get("archive")),
        where,
        ((Number) out.get("files")).longValue(),
        ((Number) out.get("bytes")).longValue());
  }
}
