package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.ArchiveNames.checkSegment;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The facade of the archive engine, split by job the way restic splits archiver, restorer and
 * checker; each public method here delegates to one of them:
 *
 * <ul>
 *   <li>{@link Archiver} writes and publishes archives (with {@link ArchiveWriter}, {@link
 *       GzipMembers});
 *   <li>{@link Checker} verifies every byte, {@link Restorer} restores into a directory;
 *   <li>{@link SingleFile} streams one file or the whole archive as plain tar;
 *   <li>{@link Catalog} finds archives: resolving references, listing, the {@code latest} pointer,
 *       manifests;
 *   <li>{@link Pruner} applies a {@link RetentionPolicy} and pins; {@link Drills} keeps drill
 *       evidence;
 *   <li>{@link RepositoryFiles} is how files reach the disk (modes, atomic writes, leftovers), and
 *       {@link ArchiveEntries} the entry-by-entry checks that verify, restore and reads share.
 * </ul>
 *
 * <p>What stays here is the wiring and what spans jobs: the source locks, and recording an archive
 * damaged whichever job found it ({@link #checked}).
 *
 * <p>A backup repository on a local or external drive: {@code <root>/<set>/<source>/<UTC
 * timestamp>.tar.gz} with a manifest sidecar each and a {@code latest} pointer per source. Archives
 * appear atomically (written under a hidden partial name, fsynced, renamed), are never overwritten,
 * and are checked on every read.
 *
 * <p>Failures a person must fix are {@link ActionException}s: {@code invalid} for references to
 * things that do not exist, {@code check} for empty sources, corrupt archives and refused restores.
 * I/O errors are left as {@link IOException} (worth retrying).
 */
public final class Repository {
  private final Path root;
  private final Clock clock;
  private final GzipMembers.Settings compression;
  private final List<Path> archiveRoots;

  /**
   * Where a restore keeps its locks when the repository cannot be written: {@code
   * <java.io.tmpdir>/lifeboat-locks-<user>/<hash of the repository's path>}; tests set it.
   */
  private volatile Path lockFallback;

  /** Runs with the source lock held, before a backup writes; tests use it to prove who overlaps. */
  volatile Runnable lockedWriteHook = () -> {};

  /**
   * Hears the path of every file a backup reads (not those it reuses); tests count reads with it.
   */
  volatile java.util.function.Consumer<String> fileReadHook = path -> {};

  private final Catalog catalog;
  private final Pruner pruner;
  private final Drills drills;
  private final SingleFile singleFile;
  private final Archiver archiver;
  private final Checker checker;

  public Repository(Path root) {
    this(root, Clock.systemUTC());
  }

  public Repository(Path root, Clock clock) {
    this(root, clock, GzipMembers.Settings.defaults(), List.of());
  }

  /**
   * @param archiveRoots directories besides the repository that an {@code archive} given as an
   *     absolute path may lie in (e.g. the external drive's mount a hardware-loss restore reads
   *     from)
   */
  public Repository(Path root, List<Path> archiveRoots) {
    this(root, Clock.systemUTC(), GzipMembers.Settings.defaults(), archiveRoots);
  }

  /**
   * With explicit compression settings (threads, chunk size); tests use it to compare and to inject
   * failures.
   */
  Repository(Path root, Clock clock, GzipMembers.Settings compression) {
    this(root, clock, compression, List.of());
  }

  Repository(Path root, Clock clock, GzipMembers.Settings compression, List<Path> archiveRoots) {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    this.compression = compression;
    this.archiveRoots = archiveRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    this.catalog = new Catalog(this.root, this.archiveRoots);
    this.checker = new Checker(clock, compression.threads());
    // under the prune's own source lock: the verify's would wait for it; the pruner marks an
    // archive that fails damaged itself
    Checker verifier = checker;
    this.pruner = new Pruner(catalog, clock, (ref, l) -> verifier.verify(this, ref, l, "prune"));
    this.drills = new Drills(catalog);
    this.singleFile = new SingleFile(catalog);
    this.archiver = new Archiver(this, clock, compression);
    byte[] name = this.root.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.lockFallback =
        Path.of(System.getProperty("java.io.tmpdir"))
            .toAbsolutePath()
            .normalize()
            .resolve("lifeboat-locks-" + System.getProperty("user.name"))
            .resolve(Digests.hex(Digests.sha256().digest(name)).substring(0, 32));
  }

  void lockFallback(Path dir) {
    this.lockFallback = dir.toAbsolutePath().normalize();
  }

  Path lockFallbackDir() {
    return lockFallback;
  }

  /** Where restores register: the repository, and the fallback for when it cannot be written. */
  List<Path> registryRoots() {
    return List.of(root, lockFallback);
  }

  /**
   * The roots of {@code LIFEBOAT_ARCHIVE_ROOTS} (colon-separated absolute paths; blank parts
   * ignored).
   */
  public static List<Path> archiveRoots(String colonSeparated) {
    return Catalog.archiveRoots(colonSeparated);
  }

  void onLockedWrite(Runnable hook) {
    this.lockedWriteHook = hook;
  }

  void onFileRead(java.util.function.Consumer<String> hook) {
    this.fileReadHook = hook;
  }

  /** Removes what interrupted writes left; see {@link RepositoryFiles#cleanLeftovers}. */
  public List<String> cleanLeftovers() throws IOException {
    return RepositoryFiles.cleanLeftovers(root);
  }

  /** The repository, set and source directories, created owner-only. */
  void createPrivateDirectories(Path dir) throws IOException {
    RepositoryFiles.createPrivateDirectories(root, dir);
  }

  public Path root() {
    return root;
  }

  /** The folders besides the repository that archives may be read from. */
  List<Path> archiveRoots() {
    return archiveRoots;
  }

  /**
   * What compresses archives in this process: libdeflate, or the JDK's zlib and why (for logs and
   * the bench).
   */
  public static String gzipEngine() {
    return Deflate.autoName();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Refuses, before a backup of {@code dir} under a source name taken from the folder's own, a
   * source whose newest good archive is of another folder that is still there (see {@link
   * Archiver#refuseAnotherFolder}).
   */
  public void refuseAnotherFolder(String set, String source, Path dir) throws IOException {
    archiver.refuseAnotherFolder(set, source, dir);
  }

  /**
   * Archives the directory {@code dir}; includes and excludes are globs relative to it. Files
   * unchanged since the source's newest good archive are copied from it (see {@link Archiver}).
   */
  public BackupResult writeFromDirectory(
      String set,
      String source,
      Path dir,
      List<String> includes,
      List<String> excludes,
      ProgressListener listener)
      throws IOException {
    return writeFromDirectory(set, source, dir, includes, excludes, false, listener);
  }

  /** As above; {@code full} reads every file even when a previous archive could give it. */
  public BackupResult writeFromDirectory(
      String set,
      String source,
      Path dir,
      List<String> includes,
      List<String> excludes,
      boolean full,
      ProgressListener listener)
      throws IOException {
    return writeFromDirectory(
        set, source, dir, includes, excludes, full, Compression.GZIP, listener);
  }

  /** As above, into a {@code .tar.zst} when {@code compression} is zstd. */
  public BackupResult writeFromDirectory(
      String set,
      String source,
      Path dir,
      List<String> includes,
      List<String> excludes,
      boolean full,
      Compression compression,
      ProgressListener listener)
      throws IOException {
    return archiver.writeFromDirectory(
        set, source, dir, includes, excludes, full, compression, listener);
  }

  /**
   * Re-packs a plain tar stream (e.g. {@code tar cf - .} run in a pod) into an archive with
   * per-file digests. Names keep their form apart from a leading {@code ./}; the root entry {@code
   * ./} is no entry of the archive: its mode, time and owner become the manifest's {@code root}.
   * Devices and fifos are skipped and listed in the result. The stream is read to its
   * end-of-archive but not closed.
   */
  public BackupResult writeFromTar(
      String set, String source, InputStream tarStream, ProgressListener listener)
      throws IOException {
    return writeFromTar(set, source, tarStream, Compression.GZIP, listener);
  }

  /** As above, into a {@code .tar.zst} when {@code compression} is zstd. */
  public BackupResult writeFromTar(
      String set,
      String source,
      InputStream tarStream,
      Compression compression,
      ProgressListener listener)
      throws IOException {
    return writeFromTar(set, source, tarStream, false, compression, listener);
  }

  /**
   * As above; unless {@code full}, files whose bytes and header are those of the newest good
   * archive of the same kind are copied from it (see {@link Archiver#writeFromTar}).
   */
  public BackupResult writeFromTar(
      String set,
      String source,
      InputStream tarStream,
      boolean full,
      Compression compression,
      ProgressListener listener)
      throws IOException {
    return archiver.writeFromTar(set, source, tarStream, full, compression, listener);
  }

  /** Records a restore drill's evidence beside the archive; see {@link Drills#recordDrill}. */
  public void recordDrill(ArchiveRef ref, DrillRecord record) throws IOException {
    drills.recordDrill(ref, record);
  }

  /** The last passed drill of any archive of a set/source, even one pruned since. */
  public Optional<DrillRecord> lastPassedDrill(String set, String source) {
    return drills.lastPassedDrill(set, source);
  }

  /**
   * The evidence of the archive's last drill, if it was drilled (an unreadable record reads as
   * none).
   */
  public Optional<DrillRecord> lastDrill(ArchiveRef ref) {
    return drills.lastDrill(ref);
  }

  // ---------------------------------------------------------------- finding

  /**
   * Finds an archive by name, by absolute path (inside the repository or an archive root), or the
   * source's latest good one when {@code archive} is null; see {@link Catalog#resolve}.
   */
  public ArchiveRef resolve(String set, String source, String archive) {
    return catalog.resolve(set, source, archive);
  }

  /**
   * Archives, oldest first within each source; partial files are left out, damaged archives are
   * listed.
   */
  public List<ArchiveInfo> list(String set, String source) throws IOException {
    return catalog.list(set, source);
  }

  /**
   * Checks a set or source name the way the repository will; throws ActionException naming {@code
   * what}.
   */
  public static String checkName(String value, String what) {
    return checkSegment(value, what);
  }

  /** The manifest of an archive; a missing or unreadable one is a failed check. */
  public Manifest manifest(ArchiveRef ref) {
    return catalog.manifest(ref);
  }

  /**
   * The manifest of an archive whose entries a restore would accept ({@link RestoreGuard}): what a
   * download repackages must name only places inside the folder it is extracted into.
   */
  public Manifest restorableManifest(ArchiveRef ref) {
    Manifest m = catalog.manifest(ref);
    RestoreGuard.check(ref.name(), m.entries());
    return m;
  }

  /** The newest archive of a source that is not damaged (its manifest readable). */
  Optional<ArchiveInfo> newestGood(String set, String source) throws IOException {
    return catalog.newestGood(set, source);
  }

  Optional<ArchiveRef> newestRecordedVerified(String set, String source) throws IOException {
    return catalog.newestRecordedVerified(set, source);
  }

  Optional<ArchiveInfo> newestVerified(String set, String source) throws IOException {
    return catalog.newestVerified(set, source);
  }

  Path sourceDir(String set, String source) {
    return catalog.sourceDir(set, source);
  }

  // ---------------------------------------------------------------- checking and reading

  /**
   * Re-reads the whole archive on all cores ({@link Checker}): every entry against the manifest
   * (name, type, size, link, SHA-256), the entry count, and the SHA-256 of the archive file. The
   * archive's state becomes verified on success and damaged (before the failure propagates) when
   * the archive fails a check.
   */
  public VerifyResult verify(ArchiveRef ref, ProgressListener listener) throws IOException {
    return verify(ref, listener, "verify");
  }

  /**
   * As {@link #verify(ArchiveRef, ProgressListener)}; {@code by} names the check in the state
   * record.
   */
  public VerifyResult verify(ArchiveRef ref, ProgressListener listener, String by)
      throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    try (SourceLock lock = lockArchive(ref, l.runId(), l)) {
      return checked(ref, by, () -> checker.verify(this, ref, l, by));
    }
  }

  /**
   * Checks, as verify does (headers against the manifest: names, types, sizes, links, modes, times;
   * files' SHA-256), every member run holding an entry {@code wanted} selects: what a folder
   * download repackages from the manifest must be what the archive holds. A damaged archive is
   * recorded as such.
   */
  public void checkEntries(ArchiveRef ref, java.util.function.Predicate<Manifest.Entry> wanted)
      throws IOException {
    checkEntries(ref, manifest(ref), wanted);
  }

  /**
   * As above, against {@code m}, the manifest the caller repackages from (its entries are what
   * {@code wanted} is asked about: another read of the manifest file would be other objects).
   * Answers each selected entry's owner as its tar header records it, keyed by the very entry of
   * {@code m}: the manifest does not hold owners.
   */
  public java.util.Map<Manifest.Entry, Owner> checkEntries(
      ArchiveRef ref, Manifest m, java.util.function.Predicate<Manifest.Entry> wanted)
      throws IOException {
    return checked(ref, "download", () -> Checker.checkEntries(m, ref, wanted));
  }

  /** The archive's state, as a listing shows it. */
  public ArchiveState state(ArchiveRef ref) {
    return ArchiveStates.read(ref, manifest(ref), null);
  }

  /** Something that reads an archive. */
  public interface ArchiveRead<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code read}; if it finds the archive damaged, records that ({@link #markDamaged}) before
   * the failure propagates. Restores and drills wrap their reading in it.
   */
  public <T> T checked(ArchiveRef ref, String by, ArchiveRead<T> read) throws IOException {
    try {
      return read.run();
    } catch (DamagedArchive e) {
      markDamaged(ref, by, e.getMessage());
      throw e;
    }
  }

  /**
   * Extracts an archive into {@code target} (created if missing); see {@link Restorer}. A non-empty
   * target is refused unless {@code clean} (or it holds an interrupted restore); targets that hold
   * the repository, an archive root or the running Lifeboat, or lie in the repository or an archive
   * root, are refused, and so is a clean restore's target holding Lifeboat archives.
   */
  public RestoreResult restoreToDirectory(
      ArchiveRef ref, Path target, boolean clean, ProgressListener listener) throws IOException {
    return new Restorer(this, ref, listener).restore(target, clean);
  }

  /**
   * Refuses, as a restore into it would, a folder that no restore may write into: one in, or
   * holding, the repository or an archive root, {@code /}, or one holding the running Lifeboat. For
   * those who make the folder before they restore (a drill's scratch).
   */
  public void checkRestoreTarget(Path target) {
    Path dir = target.toAbsolutePath().normalize();
    Restorer.checkTarget(dir, root);
    Restorer.checkArchiveRoots(dir, archiveRoots, true);
  }

  /**
   * Writes one regular file of an archive to {@code out} (not closed), checked against its digest;
   * see {@link SingleFile#readFile}.
   */
  public long readFile(ArchiveRef ref, String path, OutputStream out) throws IOException {
    return checked(ref, "download", () -> singleFile.readFile(ref, path, out));
  }

  /**
   * Writes the archive as a plain tar stream to {@code out} (not closed), checked against its
   * checksum; see {@link SingleFile#copyAsTar}.
   */
  public long copyAsTar(ArchiveRef ref, OutputStream out) throws IOException {
    return copyAsTar(ref, out, true);
  }

  /**
   * As above; with {@code folderItself} false, without the leading {@code ./} entry, for a tar that
   * runs as a user who may not own the folder it extracts into (a running application container).
   */
  public long copyAsTar(ArchiveRef ref, OutputStream out, boolean folderItself) throws IOException {
    return checked(ref, "restore", () -> singleFile.copyAsTar(ref, out, folderItself));
  }

  // ---------------------------------------------------------------- retention

  /** Applies a retention policy to one source under its lock; see {@link Pruner#prune}. */
  public PruneResult prune(String set, String source, RetentionPolicy policy) throws IOException {
    return prune(set, source, policy, false, ProgressListener.NONE);
  }

  public PruneResult prune(
      String set, String source, RetentionPolicy policy, ProgressListener listener)
      throws IOException {
    return prune(set, source, policy, false, listener);
  }

  /** With {@code dryRun} nothing is deleted: the result lists what would go. */
  public PruneResult prune(
      String set, String source, RetentionPolicy policy, boolean dryRun, ProgressListener listener)
      throws IOException {
    return pruner.prune(set, source, policy, dryRun, listener);
  }

  /**
   * Marks an archive as pinned: prune never deletes it. Where the repository is read-only (mounted
   * so for a server that only lists and downloads) this is a {@link ReadOnlyRepository}.
   */
  public void pin(ArchiveRef ref) throws IOException {
    pruner.pin(ref);
  }

  /** Releases a pin; where the repository is read-only, a {@link ReadOnlyRepository}. */
  public void unpin(ArchiveRef ref) throws IOException {
    pruner.unpin(ref);
  }

  /**
   * The archives a prune deleted from this repository (all sets, or {@code set}) whose {@code
   * <stem>.pruned} record is still there: the offsite copies sync-offsite may delete. Each is named
   * as a gzip archive of its stem (the record does not say which kind it was).
   */
  public List<ArchiveRef> pruned(String set) throws IOException {
    List<ArchiveRef> out = new java.util.ArrayList<>();
    List<String> sets =
        set != null ? List.of(checkSegment(set, "set")) : Catalog.subdirectories(root);
    for (String s : sets) {
      for (String source : Catalog.subdirectories(root.resolve(s))) {
        Path dir = root.resolve(s).resolve(source);
        try (Stream<Path> files = Files.list(dir)) {
          for (String n : files.map(p -> p.getFileName().toString()).sorted().toList()) {
            String stem =
                n.endsWith(ArchiveNames.PRUNED_SUFFIX)
                    ? n.substring(0, n.length() - ArchiveNames.PRUNED_SUFFIX.length())
                    : "";
            if (ArchiveNames.isStem(stem)) {
              String name = stem + ArchiveNames.ARCHIVE_SUFFIX;
              out.add(new ArchiveRef(s, source, name, dir.resolve(name)));
            }
          }
        } catch (NoSuchFileException e) {
          // the source went while we looked
        }
      }
    }
    return out;
  }

  /**
   * After sync-offsite deleted the offsite copy of a pruned archive: removes its {@code
   * <stem>.pruned} record when nothing else of the archive is left (a prune that stopped halfway
   * leaves sidecars, which the record marks as leftovers until the next backup removes them).
   *
   * @return whether the record is gone
   */
  public boolean forgetPruned(ArchiveRef ref) throws IOException {
    Path dir = ref.path().getParent();
    String stem = ref.stem();
    try (Stream<Path> files = Files.list(dir)) {
      boolean more =
          files
              .map(p -> p.getFileName().toString())
              .anyMatch(
                  n ->
                      !n.equals(stem + ArchiveNames.PRUNED_SUFFIX)
                          && (n.startsWith(stem + ".") || n.startsWith("." + stem + ".")));
      if (more) {
        return false;
      }
    }
    Files.deleteIfExists(ref.prunedPath());
    return true;
  }

  /**
   * Puts an archive and its manifest, fetched into a folder on the same drive and checked, into
   * their source's folder ({@code into} the source's folder of this repository), with the source's
   * lock held, in the order a backup publishes: the archive under its partial name, the manifest, a
   * state record ({@code unverified}, by {@code fetch}), then the archive renamed into place. A
   * fetch that dies halfway leaves what the next backup removes as an unfinished write's; a fetched
   * archive that is later lost is listed missing, as a backup's is. A prune's record of an archive
   * of that name goes first: it is here again.
   */
  public ArchiveRef publishFetched(String set, String source, Path archive, Path manifest)
      throws IOException {
    Path dir = catalog.sourceDir(set, source);
    String name = archive.getFileName().toString();
    ArchiveRef ref = new ArchiveRef(set, source, name, dir.resolve(name));
    Files.deleteIfExists(ref.prunedPath());
    Path partial = RepositoryFiles.partialOf(ref.path());
    // a partial file of this name is a dead writer's: the lock is held, no one else writes here
    Files.move(archive, partial, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.move(manifest, ref.manifestPath());
    ArchiveStates.write(ref, ArchiveState.unverified(clock.instant(), "fetch"));
    Files.move(partial, ref.path(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    RepositoryFiles.fsyncDirectory(dir);
    return ref;
  }

  // ---------------------------------------------------------------- internals

  /**
   * Holds the one-writer lock of a set/source until closed: backups, prunes, verifies and restores
   * of that source queue behind it (across processes too). While waiting, {@code listener} hears
   * {@code waiting for <set>/<source>: held by run <id>}; a cancelled run stops waiting.
   */
  public SourceLock lockSource(String set, String source, String owner, ProgressListener listener)
      throws IOException {
    Path dir = catalog.sourceDir(set, source);
    for (int attempt = 1; ; attempt++) {
      try {
        createPrivateDirectories(dir);
        return SourceLock.acquire(dir, set + "/" + source, owner, listener);
      } catch (NoSuchFileException e) {
        // a failed first fetch removed the folder it made while we waited for its lock: make it
        // again (bounded, so a folder that cannot be made fails instead of spinning)
        if (attempt >= 3) {
          throw e;
        }
      }
    }
  }

  /**
   * With {@code held} (the lock of {@code set/source}) held: removes the source's folder when its
   * lock file is all it holds, as a failed first write (a fetch) leaves it. Such a folder lists as
   * a source that was never backed up. A folder with anything else in it stays. Deleting the lock
   * file is safe only here: its holder writes nothing more, and a writer that waited makes folder
   * and lock again ({@link #lockSource}).
   *
   * @return whether the folder is gone
   */
  public boolean removeUnusedSource(String set, String source, SourceLock held) throws IOException {
    Path dir = catalog.sourceDir(set, source);
    Path lockFile = dir.resolve(ArchiveNames.LOCK).toAbsolutePath().normalize();
    if (!held.holds(lockFile)) {
      throw new IllegalStateException("the lock of " + dir + " is not held");
    }
    try (Stream<Path> list = Files.list(dir)) {
      if (list.anyMatch(p -> !p.getFileName().toString().equals(ArchiveNames.LOCK))) {
        return false;
      }
    }
    Files.deleteIfExists(lockFile);
    try {
      Files.delete(dir);
      return true;
    } catch (DirectoryNotEmptyException e) {
      return false; // another writer put something there meanwhile: its folder now
    }
  }

  /**
   * One restore at a time into a folder: restores of two different sources into the same empty
   * folder each found it empty and wrote into it side by side, and both reported success. The lock
   * is {@code <repository>/.restore-targets/<hash of the folder's path>/.lock}; the second restore
   * waits, then finds the folder not empty. Once held, the restore is registered there for backups
   * to see ({@link RestoreTargets}).
   */
  /** The repository's folder for one restore target: its lock, the record of its restore. */
  Path restoreTargetDir(Path dir) {
    return RestoreTargets.entry(root, dir);
  }

  /**
   * As above; where the repository cannot be written (a full or read-only disk) the lock and the
   * records are kept in {@link #lockFallback} instead: see {@link #lockForReading}. {@link
   * SourceLock#dir} says where.
   */
  SourceLock lockRestoreTarget(Path dir, ProgressListener listener) throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    return lockForReading(
        restoreTargetDir(dir),
        "the restore target " + dir,
        l.runId(),
        l,
        held -> RestoreTargets.register(held, dir));
  }

  /**
   * Refuses a backup of {@code dir} while a restore writes into it, into a folder inside it or
   * holding it, or left such a folder half-written; see {@link RestoreTargets#checkBackup}. {@code
   * before}: what this answered as the backup started, to find restores started since.
   */
  Map<Path, String> checkNoRestore(Path dir, Map<Path, String> before) throws IOException {
    return RestoreTargets.checkBackup(registryRoots(), dir, before);
  }

  /**
   * The lock of the source an archive belongs to; an archive outside the repository (an archive
   * root such as an external drive, possibly read-only) has no writer to exclude and gets a lock
   * that holds nothing. Those who take it only read the archive (a restore, a verify, a drill):
   * where the repository cannot be written, see {@link #lockForReading}.
   */
  public SourceLock lockArchive(ArchiveRef ref, String owner, ProgressListener listener)
      throws IOException {
    if (!catalog.insideRoot(ref)) {
      return SourceLock.none();
    }
    return lockForReading(
        ref.path().getParent(), ref.set() + "/" + ref.source(), owner, listener, held -> {});
  }

  /** What is written beside a lock once held, into the folder that holds it. */
  private interface BesideLock {
    void write(Path held) throws IOException;
  }

  /**
   * The lock of {@code dir} for a reader (a restore needs the repository only to read it), then
   * {@code beside} written next to it. A full disk or a read-only repository made a restore
   * impossible exactly when it was needed: the lock is then held in {@link #lockFallback} under the
   * same relative path (so readers in this worker still exclude each other), with a shared lock on
   * the repository's lock file, which keeps out a backup or prune of another process that can write
   * there; the step's messages say so.
   */
  private SourceLock lockForReading(
      Path dir, String label, String owner, ProgressListener listener, BesideLock beside)
      throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    String why;
    try {
      createPrivateDirectories(dir);
      return withBeside(SourceLock.acquire(dir, label, owner, l), dir, beside);
    } catch (IOException | ActionException e) {
      why = RepositoryFiles.unwritable(dir, e);
      if (why == null) {
        throw e;
      }
    }
    Path elsewhere = lockFallback.resolve(root.relativize(dir));
    l.message(
        "the backup repository "
            + root
            + " "
            + why
            + ": the lock of "
            + label
            + " is kept in "
            + elsewhere
            + " instead; a restore only reads the repository");
    RepositoryFiles.createPrivateDirectories(lockFallback, elsewhere);
    return withBeside(
        SourceLock.acquireReading(dir, elsewhere, label, owner, l), elsewhere, beside);
  }

  /** {@code lock}, once {@code beside} is written into {@code held}; let go if that fails. */
  private static SourceLock withBeside(SourceLock lock, Path held, BesideLock beside)
      throws IOException {
    try {
      beside.write(held);
      return lock;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Records that reading {@code ref} failed its checks: its state becomes damaged with {@code
   * error}, and if it was {@code latest} the pointer moves to the newest good archive. Callers that
   * write hold the source lock. A state that cannot be written is logged: the failure being
   * reported matters more.
   */
  public void markDamaged(ArchiveRef ref, String by, String error) {
    ArchiveStates.markDamaged(catalog, ref, clock.instant(), by, error);
  }

  static ActionException emptySource(String what, long entries, boolean filtered) {
    return ActionException.check(
        "source "
            + what
            + " holds no regular files"
            + (entries > 0 ? " (only " + entries + " directories or links)" : "")
            + (filtered ? " after includes/excludes" : "")
            + "; an empty backup is refused");
  }
}
