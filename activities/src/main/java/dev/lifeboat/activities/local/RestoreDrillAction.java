package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.DrillRecord;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.RestoreResult;
import dev.lifeboat.activities.archive.SourceLock;
import dev.lifeboat.activities.archive.TarDigests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code restore-drill}: the proof that backups restore. Picks an archive at random (or the one
 * named), verifies every checksum, restores it into a scratch directory, checks every restored file
 * against the manifest, and removes the scratch copy again. Passed or failed, the drill leaves its
 * evidence beside the archive ({@link DrillRecord}, {@code <stem>.drill.json}); a failure also
 * marks the archive damaged.
 */
public final class RestoreDrillAction implements Action<RestoreDrillAction.Args> {
  /** Which archives to draw from; by default the whole repository. */
  public record Args(
      @Arg(required = false, description = "draw only from this set") String set,
      @Arg(required = false, needs = "set", description = "draw only from this source (needs set)")
          String source,
      @Arg(
              required = false,
              needs = {"set", "source"},
              description = "drill this archive instead of a random one (needs set and source)")
          String archive,
      @Arg(
              required = false,
              description = "scratch directory for the test restore (default a temporary one)")
          String scratch) {}

  /** What was drilled and what it proved. */
  public record Output(
      String archive,
      String set,
      String source,
      long files,
      long bytes,
      long restoredFiles,
      boolean ok,
      double restoreSeconds,
      String evidence) {}

  private final Repository repository;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public RestoreDrillAction(Repository repository) {
    this(repository, Clock.systemUTC());
  }

  public RestoreDrillAction(Repository repository, Clock clock) {
    this.repository = repository;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "restore-drill";
  }

  @Override
  public String description() {
    return "Restore a random archive into a scratch directory and check every file against its manifest";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    if (args.source() != null && args.set() == null) {
      throw ActionException.invalid("action 'restore-drill': 'source' needs 'set'");
    }
    ArchiveInfo pick = pick(args);
    context.message("drilling " + pick.set() + "/" + pick.source() + "/" + pick.name());
    context.log("picked " + pick.path() + " (" + pick.files() + " files)");
    String name = pick.set() + "-" + pick.source() + "-" + pick.ref().stem();
    boolean byDefault = args.scratch() == null;
    // normalized once, as the restore and its check read it: made and emptied as given, a '..'
    // after a link went up from where the link leads, into a repository the check never saw
    Path scratchDir =
        byDefault
            ? defaultScratchPath(context)
            : Path.of(args.scratch()).toAbsolutePath().normalize();
    checkScratch(scratchDir, name, byDefault);
    Path scratch = byDefault ? freshScratch(scratchDir) : Files.createDirectories(scratchDir);
    Path target = scratch.resolve(name);
    // what an attempt killed before its cleanup left (a whole restored tree): this run's again
    deleteTree(target);
    try {
      var ref = pick.ref();
      try (SourceLock lock =
          repository.lockArchive(ref, context.runId(), new ContextProgress(context))) {
        return drillWithEvidence(pick, ref, target, context);
      }
    } finally {
      deleteTree(args.scratch() == null ? scratch : target);
    }
  }

  /**
   * Runs the drill and records its evidence, passed or failed; a cancelled drill proves nothing and
   * leaves none.
   */
  private Output drillWithEvidence(
      ArchiveInfo pick, ArchiveRef ref, Path target, ActionContext context) throws Exception {
    Instant started = clock.instant();
    double[] seconds = {0};
    try {
      Output out = drill(pick, ref, target, context, seconds);
      if (!insideRepository(ref)) {
        return out;
      }
      repository.recordDrill(
          ref,
          new DrillRecord(
              started,
              ref.name(),
              ref.set(),
              ref.source(),
              out.files(),
              out.bytes(),
              out.restoreSeconds(),
              DrillRecord.PASSED,
              null,
              context.runId()));
      context.log("drill evidence written to " + ref.drillPath());
      return out;
    } catch (ActionException | IOException e) {
      if (insideRepository(ref)) {
        repository.recordDrill(
            ref,
            new DrillRecord(
                started,
                ref.name(),
                ref.set(),
                ref.source(),
                // nothing was proven restorable: a failed drill's counts would read as checked
                0,
                0,
                seconds[0],
                DrillRecord.FAILED,
                e.getMessage(),
                context.runId()));
      }
      throw e;
    }
  }

  private boolean insideRepository(ArchiveRef ref) {
    return ref.path()
        .toAbsolutePath()
        .normalize()
        .startsWith(repository.root().toAbsolutePath().normalize());
  }

  /**
   * With the source lock held: verify, restore into scratch, compare; any failure marks the archive
   * damaged.
   */
  private Output drill(
      ArchiveInfo pick, ArchiveRef ref, Path target, ActionContext context, double[] seconds)
      throws Exception {
    repository.verify(ref, new ContextProgress(context), name());
    long t0 = System.nanoTime();
    RestoreResult restored;
    try {
      restored =
          repository.checked(
              ref,
              name(),
              () ->
                  repository.restoreToDirectory(ref, target, false, new ContextProgress(context)));
    } finally {
      seconds[0] = (System.nanoTime() - t0) / 1e9;
    }
    var manifest = repository.manifest(ref);
    Map<String, String> expected = TarDigests.expected(manifest);
    // a hardlink restores as one more name for a file already checked; compare the files themselves
    java.util.Set<String> links = new java.util.HashSet<>();
    manifest.entries().stream()
        .filter(e -> e.type() == dev.lifeboat.activities.archive.Manifest.EntryType.HARDLINK)
        .forEach(e -> links.add(e.path().replaceFirst("^\\./", "")));
    Map<String, String> actual = TarDigests.ofDirectory(target, new ContextProgress(context));
    actual.keySet().removeAll(links);
    List<String> diff = TarDigests.differences(expected, actual, 10);
    if (!diff.isEmpty()) {
      String error = "restore drill of " + pick.path() + " failed: " + String.join("; ", diff);
      // the restored files are not what was backed up: this copy cannot be trusted as a restore
      // source
      repository.markDamaged(ref, name(), error);
      throw ActionException.check(error);
    }
    context.log(
        "restored " + restored.files() + " files into scratch; every SHA-256 matches the manifest");
    return new Output(
        pick.path().toString(),
        pick.set(),
        pick.source(),
        pick.files(),
        pick.bytes(),
        actual.size(),
        true,
        seconds[0],
        ref.drillPath().toString());
  }

  private ArchiveInfo pick(Args args) throws IOException {
    if (args.archive() != null) {
      if (args.set() == null || args.source() == null) {
        throw ActionException.invalid("action 'restore-drill': 'archive' needs 'set' and 'source'");
      }
      var ref = repository.resolve(args.set(), args.source(), args.archive());
      return repository.list(args.set(), args.source()).stream()
          .filter(a -> a.name().equals(ref.name()))
          .findFirst()
          .orElseThrow(() -> ActionException.invalid("no archive " + args.archive()));
    }
    // a damaged archive already failed its check; drilling it again proves nothing
    List<ArchiveInfo> all =
        repository.list(args.set(), args.source()).stream()
            .filter(a -> !a.damaged())
            .sorted(Comparator.comparing(ArchiveInfo::path))
            .toList();
    if (all.isEmpty()) {
      long damaged =
          repository.list(args.set(), args.source()).stream().filter(ArchiveInfo::damaged).count();
      throw ActionException.invalid(
          "action 'restore-drill': no "
              + (damaged > 0 ? "undamaged " : "")
              + "archives to drill in "
              + repository.root()
              + (args.set() == null ? "" : "/" + args.set())
              + (args.source() == null ? "" : "/" + args.source())
              + (damaged > 0 ? " (" + damaged + " damaged: see GET /api/backups for why)" : ""));
    }
    return all.get(random.nextInt(all.size()));
  }

  /**
   * Refuses, before the scratch folder is made or anything in it removed, one where the drill's
   * restore would be refused: in the repository or an archive root (the drill removes what it
   * restored there), or holding one. Only a configured {@code scratch} or {@code java.io.tmpdir}
   * can put it there.
   */
  private void checkScratch(Path scratch, String name, boolean byDefault) {
    try {
      repository.checkRestoreTarget(scratch.resolve(name));
    } catch (ActionException e) {
      throw new ActionException(
          e.type(),
          "action 'restore-drill': the scratch folder "
              + scratch
              + (byDefault ? " (the default, in java.io.tmpdir)" : "")
              + " cannot take the test restore: "
              + e.getMessage()
              + (byDefault ? "; give the drill a 'scratch' outside them" : ""));
    }
  }

  /**
   * The default scratch folder, one per run and step ({@code <tmp>/lifeboat-drill-<hash>}): an
   * attempt killed mid-drill (kill -9, a lost worker) left its restored copy in a folder of its own
   * for ever; the retry empties this one first.
   */
  static Path defaultScratch(ActionContext context) throws IOException {
    return freshScratch(defaultScratchPath(context));
  }

  /** {@code dir}, emptied of what an earlier attempt left and made afresh, mode 0700. */
  private static Path freshScratch(Path dir) throws IOException {
    deleteTree(dir);
    // made afresh, never taken over: one that reappeared meanwhile (a link planted in a shared
    // temp folder) fails this attempt instead of receiving the restored files
    return Files.createDirectory(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  private static Path defaultScratchPath(ActionContext context) {
    byte[] key = (context.runId() + "\n" + context.stepKey()).getBytes(StandardCharsets.UTF_8);
    String hash;
    try {
      hash =
          java.util.HexFormat.of()
              .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(key))
              .substring(0, 24);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    return Path.of(System.getProperty("java.io.tmpdir"))
        .toAbsolutePath()
        .normalize()
        .resolve("lifeboat-drill-" + hash);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
