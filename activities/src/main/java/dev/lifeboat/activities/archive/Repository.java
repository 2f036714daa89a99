package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.ArchiveNames.checkSegment;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facade over one job per class: {@link Archiver} writes and publishes, {@link Checker}
 * verifies, {@link Restorer} restores; finding, reading one file, state and retention live here.
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
  private static final Logger LOG = LoggerFactory.getLogger(Repository.class);

  /** Archives hold copies of private files: only the owner reads them. */
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

  private final Path root;
  private final Clock clock;
  private final GzipMembers.Settings compression;
  private final List<Path> archiveRoots;

  /** Runs with the source lock held, before a backup writes; tests use it to prove who overlaps. */
  volatile Runnable lockedWriteHook = () -> {};

  /**
   * Hears the path of every file a backup reads (not those it reuses); tests count reads with it.
   */
  volatile java.util.function.Consumer<String> fileReadHook = path -> {};

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
    this.archiver = new Archiver(this, clock, compression);
    this.checker = new Checker(clock, compression.threads());
  }

  /**
   * The roots of {@code LIFEBOAT_ARCHIVE_ROOTS} (colon-separated absolute paths; blank parts
   * ignored).
   */
  public static List<Path> archiveRoots(String colonSeparated) {
    if (colonSeparated == null || colonSeparated.isBlank()) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    for (String part : colonSeparated.split(":")) {
      if (part.isBlank()) {
        continue;
      }
      Path p = Path.of(part.trim());
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException(
            "LIFEBOAT_ARCHIVE_ROOTS: '" + part + "' is not an absolute path");
      }
      out.add(p.normalize());
    }
    return List.copyOf(out);
  }

  void onLockedWrite(Runnable hook) {
    this.lockedWriteHook = hook;
  }

  void onFileRead(java.util.function.Consumer<String> hook) {
    this.fileReadHook = hook;
  }

  public Path root() {
    return root;
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
   * ./} is dropped. Devices and fifos are skipped and listed in the result. The stream is read to
   * its end-of-archive but not closed.
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
    return archiver.writeFromTar(set, source, tarStream, compression, listener);
  }

  /** Marks an archive as pinned: prune never deletes it. */
  public void pin(ArchiveRef ref) throws IOException {
    writeAtomically(
        ref.pinPath(), ("pinned " + clock.instant() + "\n").getBytes(StandardCharsets.UTF_8));
  }

  public void unpin(ArchiveRef ref) throws IOException {
    Files.deleteIfExists(ref.pinPath());
  }

  /**
   * Records a restore drill's evidence beside the archive ({@code <stem>.drill.json}, owner-only,
   * atomic); a passed drill is also the source's {@code last-passed-drill.json}, which outlives the
   * archive when a prune deletes it (the health check asks when the source last proved restorable,
   * not that archive).
   */
  public void recordDrill(ArchiveRef ref, DrillRecord record) throws IOException {
    writeAtomically(ref.drillPath(), Json.MAPPER.writeValueAsBytes(record));
    if (record.passed()) {
      writeAtomically(
          ref.path().resolveSibling(ArchiveNames.LAST_PASSED_DRILL),
          Json.MAPPER.writeValueAsBytes(record));
    }
  }

  /** The last passed drill of any archive of a set/source, even one pruned since. */
  public Optional<DrillRecord> lastPassedDrill(String set, String source) {
    Path f = sourceDir(set, source).resolve(ArchiveNames.LAST_PASSED_DRILL);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.MAPPER.readValue(f.toFile(), DrillRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The evidence of the archive's last drill, if it was drilled (an unreadable record reads as
   * none).
   */
  public Optional<DrillRecord> lastDrill(ArchiveRef ref) {
    if (!Files.isRegularFile(ref.drillPath())) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.MAPPER.readValue(ref.drillPath().toFile(), DrillRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- finding

  /**
   * Finds an archive. {@code archive} may be null (the source's latest: the newest archive that is
   * not damaged), an archive file name (with or without {@code .tar.gz}), or an absolute path to an
   * archive inside the repository or an archive root (then set and source may be null and are taken
   * from the path's directories).
   */
  public ArchiveRef resolve(String set, String source, String archive) {
    if (archive != null && !archive.isBlank() && Path.of(archive).isAbsolute()) {
      Path p = confine(Path.of(archive).normalize());
      Path sourceDir = p.getParent();
      Path setDir = sourceDir == null ? null : sourceDir.getParent();
      String src =
          source != null
              ? source
              : sourceDir == null || sourceDir.getFileName() == null
                  ? ""
                  : sourceDir.getFileName().toString();
      String st =
          set != null
              ? set
              : setDir == null || setDir.getFileName() == null
                  ? ""
                  : setDir.getFileName().toString();
      return new ArchiveRef(st, src, p.getFileName().toString(), p);
    }
    Path dir = sourceDir(set, source);
    if (!Files.isDirectory(dir)) {
      throw ActionException.invalid(
          "no archives for set '"
              + set
              + "', source '"
              + source
              + "' ("
              + dir
              + " does not exist)");
    }
    String name;
    if (archive == null || archive.isBlank()) {
      name =
          latestName(set, source, dir)
              .orElseThrow(
                  () ->
                      ActionException.invalid(
                          "set '"
                              + set
                              + "', source '"
                              + source
                              + "' has no "
                              + (hasArchives(dir)
                                  ? "undamaged archive (every"
                                      + " archive failed a check; see GET /api/backups)"
                                  : "archives yet")
                              + " ("
                              + dir
                              + ")"));
    } else {
      name = ArchiveNames.inDirectory(dir, archive);
      if (!ArchiveNames.isArchive(name)) {
        throw ActionException.invalid(
            "'"
                + archive
                + "' is not an archive name (like 20261122T001500Z.tar.gz or .tar.zst)"
                + " nor an absolute path");
      }
    }
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw ActionException.invalid(
          "archive '"
              + name
              + "' of set '"
              + set
              + "', source '"
              + source
              + "' does not exist ("
              + p
              + ")");
    }
    return new ArchiveRef(set, source, name, p);
  }

  /**
   * An absolute archive path must lie in the repository or an archive root, symlinks resolved: an
   * {@code archive} parameter must not make Lifeboat read (and restore) an arbitrary file.
   */
  private Path confine(Path p) {
    if (!Files.isRegularFile(p)) {
      throw ActionException.invalid("archive " + p + " does not exist");
    }
    Path real;
    try {
      real = p.toRealPath();
    } catch (IOException e) {
      throw ActionException.invalid("archive " + p + " cannot be resolved: " + e.getMessage());
    }
    List<Path> allowed = new ArrayList<>();
    allowed.add(root);
    allowed.addAll(archiveRoots);
    for (Path r : allowed) {
      try {
        if (real.startsWith(r.toRealPath())) {
          return real;
        }
      } catch (IOException e) {
        // a root that is not there (drive unplugged) allows nothing
      }
    }
    throw ActionException.invalid(
        "archive "
            + p
            + (real.equals(p) ? "" : " (really " + real + ")")
            + " is outside the repository "
            + root
            + (archiveRoots.isEmpty()
                ? " and no archive roots are configured"
                : " and the archive roots " + archiveRoots)
            + "; copy it into one or add its drive to LIFEBOAT_ARCHIVE_ROOTS");
  }

  /**
   * Archives, oldest first within each source; partial files are left out, damaged archives are
   * listed.
   */
  public List<ArchiveInfo> list(String set, String source) throws IOException {
    List<ArchiveInfo> out = new ArrayList<>();
    List<String> sets = set != null ? List.of(checkSegment(set, "set")) : subdirectories(root);
    for (String s : sets) {
      List<String> sources =
          source != null
              ? List.of(checkSegment(source, "source"))
              : subdirectories(root.resolve(s));
      for (String src : sources) {
        out.addAll(listSource(s, src));
      }
    }
    return out;
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
    Path m = ref.manifestPath();
    if (!Files.isRegularFile(m)) {
      throw new DamagedArchive(
          ref, "archive " + ref.path() + " has no manifest (expected " + m + ")");
    }
    try {
      return Json.MAPPER.readValue(m.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new DamagedArchive(ref, "manifest " + m + " cannot be read: " + e.getMessage());
    }
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
      return checked(ref, by, () -> verifyLocked(ref, l, by));
    }
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

  private VerifyResult verifyLocked(ArchiveRef ref, ProgressListener listener, String by)
      throws IOException {
    return checker.verify(this, ref, listener, by);
  }

  /**
   * Extracts an archive into {@code target} (created if missing); see {@link Restorer}. A non-empty
   * target is refused unless {@code clean} (or it holds an interrupted restore); targets that hold
   * the repository or the running Lifeboat are refused.
   */
  public RestoreResult restoreToDirectory(
      ArchiveRef ref, Path target, boolean clean, ProgressListener listener) throws IOException {
    return new Restorer(this, ref, listener).restore(target, clean);
  }

  /**
   * Writes one regular file of an archive to {@code out} (not closed), reading only that file's
   * gzip member at the offset the manifest records; a hardlink gives its target's content. The data
   * is checked against the manifest's SHA-256 as it goes out: a mismatch fails the call after the
   * bytes went out.
   */
  public long readFile(ArchiveRef ref, String path, OutputStream out) throws IOException {
    return checked(ref, "download", () -> readFileChecked(ref, path, out));
  }

  private long readFileChecked(ArchiveRef ref, String path, OutputStream out) throws IOException {
    Manifest m = manifest(ref);
    String wanted = ArchiveReader.normalizeName(path);
    Entry e =
        m.entries().stream()
            .filter(x -> ArchiveReader.normalizeName(x.path()).equals(wanted))
            .findFirst()
            .orElseThrow(
                () ->
                    ActionException.invalid(
                        "archive " + ref.name() + " has no entry '" + path + "'"));
    if (e.type() == EntryType.HARDLINK) {
      String target = ArchiveReader.normalizeName(e.linkTarget());
      e =
          m.entries().stream()
              .filter(
                  x ->
                      x.type() == EntryType.FILE
                          && ArchiveReader.normalizeName(x.path()).equals(target))
              .findFirst()
              .orElseThrow(
                  () ->
                      new DamagedArchive(
                          ref,
                          "archive "
                              + ref.name()
                              + ": hardlink '"
                              + path
                              + "' points to '"
                              + target
                              + "', which the manifest does not list as a file"));
    }
    if (e.type() != EntryType.FILE) {
      throw ActionException.invalid(
          "'"
              + path
              + "' in archive "
              + ref.name()
              + " is a "
              + e.type().name().toLowerCase(java.util.Locale.ROOT)
              + ", not a file");
    }
    long n = 0;
    java.security.MessageDigest md = Digests.sha256();
    try (TarArchiveInputStream tar = ArchiveReader.member(ref.path(), e)) {
      TarArchiveEntry te = tar.getNextEntry();
      if (te == null) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": no entry at the offset the manifest gives for '"
                + e.path()
                + "'");
      }
      expect(ref, List.of(e), 0, te);
      byte[] buffer = new byte[64 * 1024];
      int k;
      while ((k = tar.read(buffer)) >= 0) {
        md.update(buffer, 0, k);
        out.write(buffer, 0, k);
        n += k;
      }
    } catch (IOException ex) {
      throw DamagedArchive.readFailure(ref, e, ex);
    }
    String sha = Digests.hex(md.digest());
    DamagedArchive.checkDigest(ref, e, sha);
    out.flush();
    return n;
  }

  /**
   * Writes the archive as a plain, uncompressed tar stream (for {@code tar xf -}); {@code out} is
   * not closed. The archive checksum is checked at the end: a mismatch fails the call after the
   * bytes went out.
   */
  public long copyAsTar(ArchiveRef ref, OutputStream out) throws IOException {
    return checked(ref, "restore", () -> copyAsTarChecked(ref, out));
  }

  private long copyAsTarChecked(ArchiveRef ref, OutputStream out) throws IOException {
    Manifest m = manifest(ref);
    try (ArchiveReader reader = open(ref)) {
      long n;
      try {
        n = reader.plainTar().transferTo(out);
      } catch (IOException e) {
        if (isOwnStreamFailure(e)) {
          throw new DamagedArchive(ref, "archive " + ref.name() + " is corrupt: " + e.getMessage());
        }
        throw e;
      }
      checkArchiveDigest(ref, m, drain(reader, ref));
      out.flush();
      return n;
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes the archives of one source that {@code policy} does not keep (see {@link
   * RetentionPolicy}): only good archives count; pinned ones, the newest good and the newest
   * verified one always stay; damaged ones are kept for forensics, delete them by hand. Sidecars go
   * with their archive; {@code latest} moves to the newest good archive. Holds the source lock, so
   * a prune waits for a backup, verify, restore or drill of the same source to finish and never
   * deletes an archive while it is read.
   */
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
    Path dir = sourceDir(set, source);
    if (!Files.isDirectory(dir)) {
      throw ActionException.invalid(
          "no archives for set '"
              + set
              + "', source '"
              + source
              + "' ("
              + dir
              + " does not exist)");
    }
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    try (SourceLock lock = SourceLock.acquire(dir, set + "/" + source, l.runId(), l)) {
      return pruneLocked(set, source, dir, policy, dryRun);
    }
  }

  private PruneResult pruneLocked(
      String set, String source, Path dir, RetentionPolicy policy, boolean dryRun)
      throws IOException {
    List<ArchiveInfo> all = listSource(set, source);
    List<RetentionPolicy.Decision> decisions =
        policy.select(
            all.stream()
                .map(
                    a ->
                        new RetentionPolicy.Candidate(
                            a.name(),
                            a.createdAt(),
                            a.sizeBytes(),
                            a.pinned(),
                            a.damaged(),
                            a.verified()))
                .toList());
    Map<String, ArchiveInfo> byName = new LinkedHashMap<>();
    all.forEach(a -> byName.put(a.name(), a));
    List<String> deleted = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    Map<String, List<String>> keptBecause = new LinkedHashMap<>();
    Map<String, String> deletedBecause = new LinkedHashMap<>();
    long keptBytes = 0;
    for (RetentionPolicy.Decision d : decisions) {
      ArchiveInfo a = byName.get(d.name());
      if (d.keep()) {
        kept.add(d.name());
        keptBecause.put(d.name(), d.reasons());
        keptBytes += a.damaged() ? 0 : a.sizeBytes();
        continue;
      }
      deleted.add(d.name());
      deletedBecause.put(d.name(), d.reasons().get(0));
      if (!dryRun) {
        // The archive first: a prune that dies halfway leaves sidecars without archive, which the
        // next
        // write to this source removes as leftovers.
        Files.deleteIfExists(a.path());
        ArchiveRef ref = a.ref();
        Files.deleteIfExists(ref.manifestPath());
        Files.deleteIfExists(ref.statePath());
        Files.deleteIfExists(ref.verifiedPath());
        Files.deleteIfExists(ref.drillPath());
        Files.deleteIfExists(ref.pinPath());
      }
    }
    if (!dryRun) {
      List<ArchiveInfo> good = all.stream().filter(a -> !a.damaged()).toList();
      Optional<String> current = readLatest(dir);
      Optional<String> newestGood =
          good.stream()
              .map(ArchiveInfo::name)
              .filter(n -> !deleted.contains(n))
              .max(Comparator.naturalOrder());
      boolean pointerGood =
          current.isPresent()
              && good.stream().anyMatch(a -> a.name().equals(current.get()))
              && !deleted.contains(current.get());
      if (!pointerGood) {
        if (newestGood.isPresent()) {
          writeLatest(dir, newestGood.get());
        } else {
          Files.deleteIfExists(dir.resolve(ArchiveNames.LATEST));
        }
      }
      if (!deleted.isEmpty()) {
        fsyncDirectory(dir);
      }
    }
    return new PruneResult(
        set, source, dryRun, deleted, kept, keptBecause, deletedBecause, keptBytes);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Holds the one-writer lock of a set/source until closed: backups, prunes, verifies and restores
   * of that source queue behind it (across processes too). While waiting, {@code listener} hears
   * {@code waiting for <set>/<source>: held by run <id>}; a cancelled run stops waiting.
   */
  public SourceLock lockSource(String set, String source, String owner, ProgressListener listener)
      throws IOException {
    Path dir = sourceDir(set, source);
    createPrivateDirectories(dir);
    return SourceLock.acquire(dir, set + "/" + source, owner, listener);
  }

  /**
   * The lock of the source an archive belongs to; an archive outside the repository (an archive
   * root such as an external drive, possibly read-only) has no writer to exclude and gets a lock
   * that holds nothing.
   */
  public SourceLock lockArchive(ArchiveRef ref, String owner, ProgressListener listener)
      throws IOException {
    if (!insideRoot(ref)) {
      return SourceLock.none();
    }
    return SourceLock.acquire(
        ref.path().getParent(), ref.set() + "/" + ref.source(), owner, listener);
  }

  /**
   * Records that reading {@code ref} failed its checks: its state becomes damaged with {@code
   * error}, and if it was {@code latest} the pointer moves to the newest good archive. Callers that
   * write hold the source lock. A state that cannot be written is logged: the failure being
   * reported matters more.
   */
  public void markDamaged(ArchiveRef ref, String by, String error) {
    try {
      ArchiveStates.write(ref, ArchiveState.damaged(clock.instant(), by, error));
      LOG.warn("archive {} is damaged ({}): {}", ref.path(), by, error);
      if (insideRoot(ref)) {
        Path dir = ref.path().getParent();
        Optional<String> pointer = readLatest(dir);
        if (pointer.isEmpty() || pointer.get().equals(ref.name())) {
          Optional<ArchiveInfo> good = newestGood(ref.set(), ref.source());
          if (good.isPresent()) {
            writeLatest(dir, good.get().name());
          } else {
            Files.deleteIfExists(dir.resolve(ArchiveNames.LATEST));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not record archive {} as damaged: {}", ref.path(), e.toString());
    }
  }

  /**
   * Removes what interrupted writes left in every source whose lock is free (busy ones have a live
   * writer) and returns the removed files as {@code <set>/<source>/<file>}. The worker calls it at
   * start.
   */
  public List<String> cleanLeftovers() throws IOException {
    List<String> removed = new ArrayList<>();
    for (String set : subdirectories(root)) {
      for (String source : subdirectories(root.resolve(set))) {
        Path dir = root.resolve(set).resolve(source);
        Optional<SourceLock> lock = SourceLock.tryAcquire(dir, "cleanup", 0);
        if (lock.isEmpty()) {
          continue;
        }
        try (SourceLock held = lock.get()) {
          removeLeftovers(dir).forEach(n -> removed.add(set + "/" + source + "/" + n));
        }
      }
    }
    return removed;
  }

  /**
   * With the source lock held, hidden partial files and sidecars whose archive never appeared
   * belong to a writer that died (kill -9, power loss): remove them so they neither fill the disk
   * nor block a name.
   */
  static List<String> removeLeftovers(Path dir) throws IOException {
    List<String> removed = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.toList();
    }
    for (Path f : files) {
      String n = f.getFileName().toString();
      boolean partial = n.startsWith(".") && n.endsWith(ArchiveNames.PARTIAL_SUFFIX);
      if ((partial || isOrphanSidecar(dir, n))
          && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        Files.deleteIfExists(f);
        removed.add(n);
      }
    }
    if (!removed.isEmpty()) {
      LOG.info("removed leftovers of an interrupted write in {}: {}", dir, removed);
      fsyncDirectory(dir);
    }
    return removed;
  }

  private static boolean isOrphanSidecar(Path dir, String n) {
    for (String suffix :
        List.of(
            ArchiveNames.MANIFEST_SUFFIX,
            ArchiveNames.STATE_SUFFIX,
            ArchiveNames.VERIFIED_SUFFIX,
            ArchiveNames.DRILL_SUFFIX)) {
      if (n.endsWith(suffix)) {
        String stem = n.substring(0, n.length() - suffix.length());
        return ArchiveNames.isStem(stem) && !ArchiveNames.archiveExists(dir, stem);
      }
    }
    return false;
  }

  /**
   * The compressed size is unknown up front: a short disk is worth a warning, only a real ENOSPC
   * fails.
   */
  static void warnIfShort(Path dir, long bytes) {
    try {
      long free = Files.getFileStore(dir).getUsableSpace();
      if (bytes > 0 && free < bytes) {
        LOG.warn(
            "{} has {} bytes free for a source of {} bytes; the backup fails if compression does not make up"
                + " the difference",
            dir,
            free,
            bytes);
      }
    } catch (IOException e) {
      // the write itself will say what is wrong
    }
  }

  static boolean isDiskFull(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }

  static ActionException diskFull(Path writing, Path dir, long needs, IOException e) {
    String free;
    try {
      free = Files.getFileStore(dir).getUsableSpace() + " bytes free";
    } catch (IOException ex) {
      free = "free space unknown";
    }
    return new ActionException(
        dev.lifeboat.workflows.ActionFailureTypes.CHECK_FAILED,
        "no space left on device"
            + " while writing "
            + writing
            + ": needs "
            + (needs > 0 ? needs + " bytes (uncompressed)" : "more space")
            + ", "
            + free
            + "; free space or prune, then run again",
        e);
  }

  private boolean insideRoot(ArchiveRef ref) {
    Path p = ref.path().toAbsolutePath().normalize();
    return p.startsWith(root)
        && p.getParent() != null
        && p.getParent().getParent() != null
        && p.getParent().getParent().getParent() != null
        && p.getParent().getParent().getParent().equals(root);
  }

  /**
   * The repository, set and source directories, created owner-only (they hold copies of private
   * files).
   */
  void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (root.getParent() != null) {
      Files.createDirectories(root.getParent());
    }
    for (Path p : List.of(root, dir.getParent(), dir)) {
      try {
        Files.createDirectory(p, PosixFilePermissions.asFileAttribute(DIR_MODE));
      } catch (FileAlreadyExistsException e) {
        // made by an earlier run or a concurrent writer
      }
    }
  }

  /** Claims the first free timestamp name at or after {@code at} by creating its partial file. */
  static String reserveName(Path dir, Instant at, Compression compression) throws IOException {
    for (int i = 0; i < 100_000; i++) {
      String name = ArchiveNames.archiveName(at.plusSeconds(i), compression);
      String stem = ArchiveNames.stem(name);
      if (ArchiveNames.archiveExists(dir, stem)
          || Files.exists(dir.resolve(stem + ArchiveNames.MANIFEST_SUFFIX))) {
        continue;
      }
      try {
        Files.createFile(
            dir.resolve(ArchiveNames.partial(name)),
            PosixFilePermissions.asFileAttribute(FILE_MODE));
        return name;
      } catch (FileAlreadyExistsException e) {
        // another writer holds this name
      }
    }
    throw new IOException("no free archive name in " + dir);
  }

  private List<ArchiveInfo> listSource(String set, String source) throws IOException {
    Path dir = root.resolve(set).resolve(source);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> names;
    try (Stream<Path> files = Files.list(dir)) {
      names =
          files
              .map(p -> p.getFileName().toString())
              .filter(ArchiveNames::isArchive)
              .sorted()
              .toList();
    }
    List<ArchiveInfo> out = new ArrayList<>();
    for (String name : names) {
      ArchiveRef ref = new ArchiveRef(set, source, name, dir.resolve(name));
      Manifest m = null;
      String manifestError = null;
      if (!Files.isRegularFile(ref.manifestPath())) {
        manifestError =
            "archive " + name + " has no manifest (expected " + ref.manifestPath() + ")";
      } else {
        try {
          m = Json.MAPPER.readValue(ref.manifestPath().toFile(), Manifest.class);
          if (m.totals() == null) {
            manifestError = "manifest " + ref.manifestPath() + " has no totals";
            m = null;
          }
        } catch (IOException e) {
          manifestError = "manifest " + ref.manifestPath() + " cannot be read: " + e.getMessage();
        }
      }
      long size;
      try {
        size = Files.size(ref.path());
      } catch (NoSuchFileException e) {
        continue; // pruned while we looked
      }
      Instant created =
          m != null && m.created() != null
              ? m.created()
              : Instant.from(ArchiveNames.STAMP.parse(ArchiveNames.stem(name)));
      out.add(
          new ArchiveInfo(
              set,
              source,
              name,
              ref.path(),
              created,
              size,
              m == null ? 0 : m.totals().files(),
              m == null ? 0 : m.totals().bytes(),
              ArchiveStates.read(ref, m, manifestError),
              Files.exists(ref.pinPath())));
    }
    return out;
  }

  /** The newest archive of a source that is not damaged (its manifest readable). */
  Optional<ArchiveInfo> newestGood(String set, String source) throws IOException {
    return listSource(set, source).stream()
        .filter(a -> !a.damaged())
        .max(Comparator.comparing(ArchiveInfo::name));
  }

  private static boolean hasArchives(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> ArchiveNames.isArchive(p.getFileName().toString()));
    } catch (IOException e) {
      return false;
    }
  }

  /** The sidecar verifies left before state records existed; read for compatibility only. */
  record Verified(Instant verifiedAt, long entries, long files, long bytes, String archiveSha256) {}

  /**
   * The pointer while it names a good archive, else the newest good archive: never a damaged one.
   */
  private Optional<String> latestName(String set, String source, Path dir) throws ActionException {
    try {
      List<ArchiveInfo> good = listSource(set, source).stream().filter(a -> !a.damaged()).toList();
      Optional<String> pointer = readLatest(dir);
      if (pointer.isPresent() && good.stream().anyMatch(a -> a.name().equals(pointer.get()))) {
        return pointer;
      }
      return good.stream().map(ArchiveInfo::name).max(Comparator.naturalOrder());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> readLatest(Path dir) {
    try {
      return Optional.of(Files.readString(dir.resolve(ArchiveNames.LATEST)).trim())
          .filter(s -> !s.isEmpty());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static void writeLatest(Path dir, String name) throws IOException {
    writeAtomically(
        dir.resolve(ArchiveNames.LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes under a partial name, fsyncs, renames: readers see the old content or the new, never
   * half.
   */
  static void writeAtomically(Path target, byte[] data) throws IOException {
    Path tmp = target.resolveSibling(ArchiveNames.partial(target.getFileName().toString()));
    boolean moved = false;
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              Set.of(
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING),
              PosixFilePermissions.asFileAttribute(FILE_MODE))) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
    } catch (IOException e) {
      if (isDiskFull(e)) {
        throw diskFull(target, target.getParent(), data.length, e);
      }
      throw e;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
    fsyncDirectory(target.getParent());
  }

  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename is still atomic there.
    }
  }

  Path sourceDir(String set, String source) {
    return root.resolve(checkSegment(set, "set")).resolve(checkSegment(source, "source"));
  }

  private static List<String> subdirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
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

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  // Reading helpers shared by verify and restore: every failure names the entry it happened at.

  static ArchiveReader open(ArchiveRef ref) throws IOException {
    try {
      return new ArchiveReader(ref.path());
    } catch (IOException e) {
      if (!isOwnStreamFailure(e)) {
        throw e;
      }
      throw new DamagedArchive(
          ref, "archive " + ref.name() + " is corrupt at its start: " + e.getMessage());
    }
  }

  static TarArchiveEntry next(ArchiveReader reader, ArchiveRef ref, List<Entry> entries, int i)
      throws IOException {
    try {
      return reader.next();
    } catch (IOException e) {
      if (!isOwnStreamFailure(e)) {
        throw e;
      }
      throw corrupt(ref, entries, i, e);
    }
  }

  static Entry expect(ArchiveRef ref, List<Entry> entries, int i, TarArchiveEntry te) {
    String path = ArchiveReader.pathOf(te);
    if (i >= entries.size()) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": entry '"
              + path
              + "' is not in the manifest (which"
              + " lists "
              + entries.size()
              + " entries)");
    }
    Entry e = entries.get(i);
    String where = "archive " + ref.name() + ": entry #" + (i + 1) + " ";
    if (!stripSlash(path).equals(stripSlash(ArchiveReader.normalizeName(e.path())))) {
      throw new DamagedArchive(
          ref, where + "is '" + path + "' but the manifest says '" + e.path() + "'");
    }
    EntryType type = ArchiveReader.typeOf(te);
    if (type != e.type()) {
      throw new DamagedArchive(
          ref, where + "'" + e.path() + "' is a " + type + " but the manifest says " + e.type());
    }
    if (type == EntryType.FILE && te.getSize() != e.size()) {
      throw new DamagedArchive(
          ref,
          where
              + "'"
              + e.path()
              + "' has "
              + te.getSize()
              + " bytes but the manifest says "
              + e.size());
    }
    if (type == EntryType.SYMLINK || type == EntryType.HARDLINK) {
      String link =
          type == EntryType.HARDLINK
              ? ArchiveReader.normalizeName(te.getLinkName())
              : te.getLinkName();
      String expected =
          type == EntryType.HARDLINK ? ArchiveReader.normalizeName(e.linkTarget()) : e.linkTarget();
      if (!stripSlash(link).equals(stripSlash(expected))) {
        throw new DamagedArchive(
            ref,
            where
                + "'"
                + e.path()
                + "' links to '"
                + link
                + "' but the manifest says '"
                + e.linkTarget()
                + "'");
      }
    }
    return e;
  }

  static void expectEnd(ArchiveRef ref, List<Entry> entries, int i) {
    if (i != entries.size()) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + " ends after "
              + i
              + " entries but the manifest lists "
              + entries.size()
              + "; first missing: '"
              + entries.get(i).path()
              + "'");
    }
  }

  static String drain(ArchiveReader reader, ArchiveRef ref) throws IOException {
    try {
      return reader.drainAndDigest();
    } catch (IOException e) {
      if (isOwnStreamFailure(e)) {
        throw new DamagedArchive(
            ref, "archive " + ref.name() + " is corrupt after its last entry: " + e.getMessage());
      }
      throw e;
    }
  }

  static void checkArchiveDigest(ArchiveRef ref, Manifest m, String sha) {
    if (!sha.equals(m.archiveSha256())) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": the archive checksum differs from the manifest"
              + " (file sha256 "
              + sha
              + ", manifest "
              + m.archiveSha256()
              + ")");
    }
  }

  static String digest(InputStream in, byte[] buffer, Progress progress, ArchiveRef ref, Entry e)
      throws IOException {
    java.security.MessageDigest md = Digests.sha256();
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        md.update(buffer, 0, n);
        progress.bytes(n);
      }
    } catch (IOException ex) {
      throw DamagedArchive.readFailure(ref, e, ex);
    }
    return Digests.hex(md.digest());
  }

  private static ActionException corrupt(
      ArchiveRef ref, List<Entry> entries, int i, IOException e) {
    String near =
        i < entries.size()
            ? "at entry '"
                + entries.get(i).path()
                + "'"
                + (i > 0 ? " (after '" + entries.get(i - 1).path() + "')" : "")
            : "after its last entry '"
                + (entries.isEmpty() ? "" : entries.get(entries.size() - 1).path())
                + "'";
    return new DamagedArchive(
        ref, "archive " + ref.name() + " is corrupt " + near + ": " + e.getMessage());
  }

  /** Decoding failures (bad gzip, CRC, tar header) as opposed to the disk failing under us. */
  static boolean isOwnStreamFailure(IOException e) {
    return !(e instanceof java.nio.file.FileSystemException)
        && !(e instanceof java.io.InterruptedIOException);
  }

  private static String stripSlash(String s) {
    String out = s == null ? "" : s;
    while (out.startsWith("/")) {
      out = out.substring(1);
    }
    return out;
  }
}
