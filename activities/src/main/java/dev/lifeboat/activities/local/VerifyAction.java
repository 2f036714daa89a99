package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.TarDigests;
import dev.lifeboat.activities.archive.VerifyResult;
import dev.lifeboat.activities.kubernetes.PodRef;
import dev.lifeboat.activities.kubernetes.PodTar;
import dev.lifeboat.runbook.KubernetesNames;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code verify}: re-reads an archive and checks every digest, the entry count and the archive
 * checksum.
 */
public final class VerifyAction implements Action<VerifyAction.Args> {
  /** Which archive: an absolute path, or a name (default latest) within set and source. */
  public record Args(
      @Arg(
              required = false,
              description =
                  "an absolute path, an archive file name (20261122T020000Z.tar.gz) or latest"
                      + " (the default)",
              pattern = ARCHIVE_PATTERN)
          String archive,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(
              required = false,
              description = "source name; not needed when archive is an absolute path")
          String source,
      @Arg(
              required = false,
              description =
                  "archive (default): check the archive itself; pod: also check that "
                      + "the files under path in the pod match the archive's manifest")
          String from,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the pod (from: pod) (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "pod name (from: pod) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pod,
      @Arg(
              required = false,
              pattern = KubernetesNames.WORKLOAD,
              description =
                  "workload whose ready pod to use (from: pod) (kind/name, kind deployment or statefulset, e.g. deployment/jupyterhub)")
          String workload,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "container, default the first (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String container,
      @Arg(
              required = false,
              description = "directory in the pod holding the restored files (from: pod)")
          String path) {
    public Args {
      from = from == null ? "archive" : from;
      set = set == null && !isAbsolute(archive) ? "local" : set;
    }
  }

  /** A passed verify; a failed one is an error naming the entry or the checksum. */
  public record Output(String archive, long files, long bytes, boolean ok) {}

  private final Repository repository;
  private final PodTar pods;

  public VerifyAction(Repository repository) {
    this(repository, null);
  }

  public VerifyAction(Repository repository, PodTar pods) {
    this.repository = repository;
    this.pods = pods;
  }

  @Override
  public String name() {
    return "verify";
  }

  @Override
  public String description() {
    return "Check every file digest, the entry count and the checksum of an archive";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    ArchiveRef ref = resolve(repository, name(), args.set(), args.source(), args.archive());
    context.message("verifying " + ref.path());
    VerifyResult r = repository.verify(ref, new ContextProgress(context));
    context.log("verified " + ref.path() + ": " + r.files() + " files, " + r.bytes() + " bytes");
    if (args.from().equals("pod")) {
      checkPod(args, ref, context);
    } else if (!args.from().equals("archive")) {
      throw ActionException.invalid(
          "action 'verify': from '" + args.from() + "' is unknown (archive or pod)");
    }
    return new Output(ref.path().toString(), r.files(), r.bytes(), true);
  }

  /**
   * What an {@code archive} argument can be, checked before a run starts: empty or {@code latest}
   * (the newest that is not damaged), an absolute path, or an archive's timestamp with or without
   * its suffix.
   */
  static final String ARCHIVE_PATTERN = "|latest|/.*|\\d{8}T\\d{6}Z(\\.tar\\.(gz|zst))?";

  static boolean isAbsolute(String archive) {
    return archive != null && !archive.isBlank() && Path.of(archive).isAbsolute();
  }

  static ArchiveRef resolve(
      Repository repository, String action, String set, String source, String archive) {
    if (!isAbsolute(archive)) {
      ContextProgress.require(source, action, "source");
    }
    return repository.resolve(set, source, archive);
  }

  /** The restored files in the pod must be exactly the archive's files, digest for digest. */
  private void checkPod(Args args, ArchiveRef ref, ActionContext context) throws Exception {
    if (pods == null) {
      throw ActionException.invalid(
          "action 'verify': from: pod needs Kubernetes, which this worker is not "
              + "configured for");
    }
    String dir = ContextProgress.require(args.path(), name(), "path");
    PodRef where = pods.resolve(args.namespace(), args.pod(), args.workload(), args.container());
    context.message("comparing " + where + ":" + dir + " with " + ref.name());
    Map<String, String> actual;
    try (InputStream in = pods.archive(where, dir, List.of("."))) {
      actual = TarDigests.of(in, new ContextProgress(context));
    }
    Map<String, String> expected = TarDigests.expected(repository.manifest(ref));
    List<String> diff = TarDigests.differences(expected, actual, 10);
    if (!diff.isEmpty()) {
      throw ActionException.check(
          "files in "
              + where
              + ":"
              + dir
              + " do not match archive "
              + ref.name()
              + ": "
              + String.join("; ", diff));
    }
    context.log(
        where
            + ":"
            + dir
            + " holds the "
            + expected.size()
            + " files of "
            + ref.name()
            + " with identical SHA-256");
  }
}
