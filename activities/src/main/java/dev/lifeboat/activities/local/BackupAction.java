package dev.lifeboat.activities.local;

import static dev.lifeboat.activities.local.ContextProgress.require;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.BackupResult;
import dev.lifeboat.activities.archive.Compression;
import dev.lifeboat.activities.archive.PathNote;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.kubernetes.PodVolumes;
import dev.lifeboat.runbook.KubernetesNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code backup}: archives a local directory into the repository as {@code
 * <set>/<source>/<timestamp>.tar.gz} ({@code .tar.zst} with {@code compression: zstd}).
 */
public final class BackupAction implements Action<BackupAction.Args> {
  /** Where the data comes from: a local directory, a running pod, or a PVC through a helper pod. */
  public record Args(
      @Arg(
              required = false,
              oneOf = {"local", "pod", "pvc"},
              description = "where the data is: local (default), pod or pvc")
          String from,
      @Arg(
              required = false,
              description =
                  "the directory to back up (in the pod for from: pod; "
                      + "default /data for from: pvc)")
          String path,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(required = false, description = "source name, default the directory's name")
          String source,
      @Arg(
              required = false,
              description = "globs relative to the directory; empty means everything")
          List<String> includes,
      @Arg(required = false, description = "globs relative to the directory to leave out")
          List<String> excludes,
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
                  "pod name (from: pod) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pod,
      @Arg(
              required = false,
              pattern = KubernetesNames.WORKLOAD,
              description =
                  "Deployment/StatefulSet whose ready pod to use as kind/name, kind deployment or"
                      + " statefulset, e.g. deployment/jupyterhub (from: pod)")
          String workload,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "container, default the first (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String container,
      @Arg(required = false, description = "paths below path to include, default everything")
          List<String> paths,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "the PVC to mount in a helper pod (from: pvc) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pvc,
      @Arg(required = false, description = "helper pod image (from: pvc), needs sh and tar")
          String image,
      @Arg(required = false, description = "node hint for a ReadWriteOnce PVC (from: pvc)")
          String lastNode,
      @Arg(
              required = false,
              description =
                  "read every file even if the previous archive could give it "
                      + "(default false: unchanged files are copied from the newest good archive)")
          Boolean full,
      @Arg(
              required = false,
              oneOf = {"gzip", "zstd"},
              description =
                  "gzip (default: a .tar.gz any tar reads) or zstd (a .tar.zst, faster; "
                      + "tar --zstd reads it)")
          String compression) {
    public Args {
      from = from == null ? "local" : from;
      set = set == null ? "local" : set;
      includes = includes == null ? List.of() : List.copyOf(includes);
      excludes = excludes == null ? List.of() : List.copyOf(excludes);
      full = full != null && full;
      compression = compression == null ? "gzip" : compression;
    }
  }

  /**
   * The published archive; {@code skipped} lists what could not be archived and {@code changed} the
   * files that changed while read (or are held under an escaped name), each as {@code {path,
   * reason}}, at most {@link #MAX_NOTES} of each (the rest summed up in a last note), with {@code
   * skippedCount}/{@code changedCount} counting them all; {@code reusedFiles}/{@code reusedBytes}
   * count the files whose members were copied from the previous archive (for pods and PVCs, files
   * whose streamed bytes and header proved unchanged: read, but not compressed again). {@code
   * unreadable} counts the skipped entries that could not be read (denied, an I/O error, vanished),
   * not those left out by design (sockets, fifos, devices): more than 0 and the archive holds less
   * than the source, which the step's warning says.
   */
  public record Output(
      String path,
      String archive,
      String set,
      String source,
      long files,
      long bytes,
      long compressedBytes,
      String sha256,
      List<PathNote> skipped,
      List<PathNote> changed,
      List<String> cleaned,
      long reusedFiles,
      long reusedBytes,
      long skippedCount,
      long changedCount,
      long unreadable) {
    public Output {
      skipped = capped(skipped);
      changed = capped(changed);
      cleaned = cleaned == null ? List.of() : List.copyOf(cleaned);
    }
  }

  /**
   * Notes an output carries at most, of each kind, and the characters they may take: a step's
   * result travels through Temporal, which refuses one over 2 MB, and a home directory with 40,000
   * sockets or unreadable files would fail a backup that had worked.
   */
  static final int MAX_NOTES = 500;

  private static final int MAX_NOTE_CHARS = 256 * 1024;

  /** The first notes, within both limits, and one more that says how many were left out. */
  static List<PathNote> capped(List<PathNote> notes) {
    if (notes == null) {
      return List.of();
    }
    List<PathNote> kept = new ArrayList<>();
    long chars = 0;
    for (PathNote n : notes) {
      chars += n.path().length() + n.reason().length();
      if (kept.size() == MAX_NOTES || chars > MAX_NOTE_CHARS) {
        kept.add(
            new PathNote(
                "...",
                (notes.size() - kept.size())
                    + " more not listed here ("
                    + notes.size()
                    + " in all); the step's log ends with the last of them"));
        return List.copyOf(kept);
      }
      kept.add(n);
    }
    return List.copyOf(kept);
  }

  private final Repository repository;
  private final PodVolumes pods;

  /** Local directories only; {@code from: pod|pvc} answer that Kubernetes is not configured. */
  public BackupAction(Repository repository) {
    this(repository, null);
  }

  public BackupAction(Repository repository, PodVolumes pods) {
    this.repository = repository;
    this.pods = pods;
  }

  @Override
  public String name() {
    return "backup";
  }

  @Override
  public String description() {
    return "Archive a directory (tar.gz, or tar.zst, with a SHA-256 manifest) into the backup"
        + " repository";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  /**
   * The source name a folder gives when none is passed: its own name ("root" for /). One no
   * repository folder can have is refused saying so, with a name that would do.
   */
  static String sourceOf(Path folder, String action) {
    String name = folder.getFileName() == null ? "root" : folder.getFileName().toString();
    try {
      return dev.lifeboat.runbook.Names.checkSegment(name, "source");
    } catch (IllegalArgumentException e) {
      String usable = name.replaceAll("[^A-Za-z0-9._@+-]+", "-").replaceAll("^[.-]+", "");
      if (usable.isEmpty() || usable.equals("latest") || usable.length() > 64) {
        usable = "my-source";
      }
      throw ActionException.invalid(
          "action '"
              + action
              + "': "
              + e.getMessage()
              + "; it is the name of "
              + folder
              + ", taken when no source is given: pass one, e.g. source="
              + usable);
    }
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    Compression compression = compression(args);
    if (args.from().equals("pod") || args.from().equals("pvc")) {
      return fromKubernetes(args, compression, context);
    }
    if (!args.from().equals("local")) {
      throw ActionException.invalid(
          "action 'backup': from '" + args.from() + "' is unknown (local, pod or pvc)");
    }
    Path dir = Path.of(require(args.path(), name(), "path")).toAbsolutePath().normalize();
    String source = args.source() != null ? args.source() : sourceOf(dir, "backup");
    if (args.source() == null) {
      // a name no one chose: another folder of that name must not take over its archives
      repository.refuseAnotherFolder(args.set(), source, dir);
    }
    context.message("archiving " + dir + " as " + args.set() + "/" + source);
    BackupResult r =
        repository.writeFromDirectory(
            args.set(),
            source,
            dir,
            args.includes(),
            args.excludes(),
            args.full(),
            compression,
            new ContextProgress(context));
    logArchived(r, context);
    r.skipped().forEach(s -> context.log("skipped " + s.path() + ": " + s.reason()));
    r.changed().forEach(c -> context.log("changed " + c.path() + ": " + c.reason()));
    r.cleaned()
        .forEach(c -> context.log("cleaned " + c + " (left by an interrupted earlier write)"));
    return new Output(
        r.ref().path().toString(),
        r.ref().name(),
        r.ref().set(),
        r.ref().source(),
        r.files(),
        r.bytes(),
        r.compressedBytes(),
        r.sha256(),
        r.skipped(),
        r.changed(),
        r.cleaned(),
        r.reusedFiles(),
        r.reusedBytes(),
        r.skipped().size(),
        r.changed().size(),
        r.unreadable().size());
  }

  /** Refused before anything is read or written: a typo must not fall back to gzip. */
  private Compression compression(Args args) {
    try {
      return Compression.fromArgument(args.compression());
    } catch (ActionException e) {
      throw ActionException.invalid("action '" + name() + "': " + e.getMessage());
    }
  }

  /** What an archive holds and what it copied from the previous one, in the step's log. */
  static void logArchived(BackupResult r, ActionContext context) {
    context.log(
        "archived " + r.files() + " files (" + r.bytes() + " bytes) into " + r.ref().path());
    if (!r.skipped().isEmpty()) {
      // the step's last word: a green step whose progress read "3 B of 10 B" was all that told a
      // user that unreadable files were missing from the archive
      context.message(
          "archived "
              + r.files()
              + " files into "
              + r.ref().name()
              + "; "
              + (r.skipped().size() == 1 ? "1 entry is" : r.skipped().size() + " entries are")
              + " NOT in it (see skipped)"
              + firstOf(r.skipped()));
    }
    List<String> warnings = new ArrayList<>();
    List<PathNote> unreadable = r.unreadable();
    if (!unreadable.isEmpty()) {
      // the run completes, as restic saves its snapshot, for the archive is good for what it
      // holds; the warning keeps it from looking like a whole copy of the source
      warnings.add(PathNote.notIn(unreadable.size()) + " " + r.ref().name() + firstOf(unreadable));
    }
    List<PathNote> padded = r.padded();
    if (!padded.isEmpty()) {
      // a copy that ends in zeros its file never held restores without a word; GNU tar exits 1
      warnings.add(PathNote.paddedIn(padded.size()) + " " + r.ref().name() + firstOf(padded));
    }
    if (!warnings.isEmpty()) {
      context.warn(String.join("; ", warnings));
    }
    if (r.reusedFrom() != null) {
      context.log(
          "copied "
              + r.reusedFiles()
              + " unchanged files ("
              + r.reusedBytes()
              + " bytes) from "
              + r.reusedFrom());
    }
  }

  private Output fromKubernetes(Args args, Compression compression, ActionContext context)
      throws Exception {
    if (pods == null) {
      throw ActionException.invalid(
          "action 'backup': from '"
              + args.from()
              + "' needs Kubernetes, "
              + "which this worker is not configured for");
    }
    ContextProgress.require(args.namespace(), name(), "namespace");
    String source;
    if (args.from().equals("pvc")) {
      source =
          args.source() != null
              ? args.source()
              : ContextProgress.require(args.pvc(), name(), "pvc");
    } else {
      if ((args.pod() == null || args.pod().isBlank())
          && (args.workload() == null || args.workload().isBlank())) {
        throw ActionException.invalid("action 'backup': from: pod needs 'pod' or 'workload'");
      }
      String path = ContextProgress.require(args.path(), name(), "path");
      source = args.source() != null ? args.source() : sourceOf(Path.of(path), "backup");
    }
    Map<String, Object> out =
        pods.backup(
            new PodVolumes.Location(
                args.namespace(),
                args.pod(),
                args.workload(),
                args.container(),
                args.from().equals("pvc") ? args.pvc() : null,
                args.image(),
                args.lastNode()),
            args.path(),
            args.paths(),
            new RepositoryTarArchives(repository, compression, args.full()),
            args.set(),
            source,
            context);
    List<PathNote> skipped = notes(out.get("skipped"));
    List<PathNote> changed = notes(out.get("changed"));
    return new Output(
        String.valueOf(out.get("path")),
        String.valueOf(out.get("archive")),
        args.set(),
        source,
        ((Number) out.get("files")).longValue(),
        ((Number) out.get("bytes")).longValue(),
        ((Number) out.get("compressedBytes")).longValue(),
        String.valueOf(out.get("sha256")),
        skipped,
        changed,
        castList(out.get("cleaned")),
        count(out.get("reusedFiles")),
        count(out.get("reusedBytes")),
        skipped.size(),
        changed.size(),
        skipped.stream().filter(PathNote::unreadable).count());
  }

  /** ", e.g. <path>: <reason>" of the first note. */
  private static String firstOf(List<PathNote> notes) {
    PathNote first = notes.get(0);
    return ", e.g. "
        + dev.lifeboat.activities.action.Printable.line(first.path())
        + ": "
        + first.reason();
  }

  private static long count(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  @SuppressWarnings("unchecked")
  private static List<String> castList(Object o) {
    return o instanceof List<?> l ? (List<String>) l : List.of();
  }

  /** The skipped list a pod backup reports, whatever shape it travelled in. */
  private static List<PathNote> notes(Object value) {
    if (!(value instanceof List<?> list)) {
      return List.of();
    }
    return list.stream()
        .map(
            o ->
                o instanceof PathNote n
                    ? n
                    : o instanceof Map<?, ?> m
                        ? new PathNote(
                            String.valueOf(m.get("path")), String.valueOf(m.get("reason")))
                        : new PathNote(String.valueOf(o), "skipped"))
        .toList();
  }
}
