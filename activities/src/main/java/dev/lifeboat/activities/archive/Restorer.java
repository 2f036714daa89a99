package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Restores one archive into a directory: refuses targets whose loss would hurt (the repository, the
 * archive being read or an archive root, a folder inside one of those, a clean restore's folder
 * holding Lifeboat archives, `/`, the running Lifeboat), checks free space, marks the target as
 * incomplete until the last entry is in place, and lets {@link Extraction} write the entries
 * without following any link.
 *
 * <p>The marker {@value #MARKER}{@code <token>} is written (and fsynced) before the first entry and
 * removed last; the token, new for each restore, is recorded first in the repository, beside the
 * target's lock. A target that holds the marker its record names is an interrupted restore: the
 * next restore empties it first, even without {@code clean} (after verifying the archive, as for
 * any folder it empties). A file of the same name that Lifeboat did not record (the user's, or one
 * an archive brought) is nobody's marker: the folder is not empty, and an archive's entry of that
 * name is restored like any other.
 */
final class Restorer {
  static final String MARKER = ".lifeboat-restore-incomplete-";

  /** What a marker says; a backup that finds it refuses the folder ({@link RestoreTargets}). */
  static final String MARKER_TEXT =
      "a Lifeboat restore into this folder has not finished; the next restore empties it first\n";

  /** The record, in the target's folder of the repository, of the token of its restore. */
  static final String RECORD = "incomplete";

  /** What every refusal of a folder among the archives tells the user to do. */
  static final String RESTORE_OUTSIDE =
      "restore into a folder outside the repository and the archive roots";

  private static final java.security.SecureRandom TOKENS = new java.security.SecureRandom();

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Restorer.class);

  /**
   * Room left over on top of the file bytes: directory blocks, inodes, the file system's own
   * reserve.
   */
  private static final long MARGIN_PER_ENTRY = 4096;

  private static final long MARGIN = 16L << 20;

  private final Repository repository;
  private final ArchiveRef ref;
  private final ProgressListener listener;
  private final Mounts mounts;

  Restorer(Repository repository, ArchiveRef ref, ProgressListener listener) {
    this(repository, ref, listener, Mounts.SYSTEM);
  }

  Restorer(Repository repository, ArchiveRef ref, ProgressListener listener, Mounts mounts) {
    this.repository = repository;
    this.ref = ref;
    this.listener = listener;
    this.mounts = mounts;
  }

  RestoreResult restore(Path target, boolean clean) throws IOException {
    Manifest m = repository.manifest(ref);
    RestoreGuard.check(ref.name(), m.entries());
    RestoreGuard.checkRoot(ref.name(), m.root());
    // checked as given, its links followed by the checks: the refusal names what the user gave,
    // and a link to a folder not made yet is judged by where it leads, not refused as dangling
    Path given = target.toAbsolutePath().normalize();
    checkTarget(given, repository.root());
    checkArchivesOutside(given, ref.path(), repository.archiveRoots());
    Path dir = followed(given);
    // one lock per folder however it is spelt, before and after it exists, taken once no restore
    // into a folder inside or above it runs
    Path key = realish(dir);
    try (SourceLock lock = RestoreTargets.lock(repository, key, listener)) {
      // beside the lock: in the repository, or where the lock went when it could not be written
      return restoreLocked(m, dir, key, clean, lock.dir().resolve(RECORD));
    }
  }

  /**
   * The folder a target that is a symbolic link points to, as tar -C would write into: everything,
   * the folder's own mode and time included, goes there. A link to nothing is refused.
   */
  private static Path followed(Path dir) {
    if (!Files.isSymbolicLink(dir)) {
      return dir;
    }
    try {
      Path real = dir.toRealPath();
      LOG.info("restore target {} is a symbolic link: restoring into {}", dir, real);
      return real;
    } catch (IOException e) {
      throw ActionException.invalid(
          "restore target "
              + dir
              + " is a symbolic link to nothing that can be restored into ("
              + SourceScan.reason(e)
              + "); give an existing folder or a path that does not exist yet");
    }
  }

  private RestoreResult restoreLocked(Manifest m, Path dir, Path key, boolean clean, Path record)
      throws IOException {
    // the wait for the lock may be long (another restore into the folder)
    checkStillLeadsTo(dir, key, "nothing was written");
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir)) {
      throw ActionException.invalid("restore target " + dir + " is not a directory");
    }
    boolean interrupted = Files.isDirectory(dir) && interruptedHere(dir, record);
    long freed = 0;
    boolean empty = !Files.isDirectory(dir) || !hasEntries(dir);
    if (!empty && !interrupted && !clean) {
      throw ActionException.check(
          "restore target " + dir + " is not empty; pass clean: true to replace its" + " contents");
    }
    // an interrupted restore's folder holds what that restore wrote, archives of the archive too
    long[] current = empty ? new long[2] : fileBytes(dir, mounts, !interrupted);
    freed = current[0];
    checkSpace(dir, m, freed, current[1], listener);
    if (!empty) {
      // only a good archive may replace what is there, even an interrupted restore's part: in a
      // disaster, half a tree is better than none
      repository.verify(ref, listener);
      // the verify takes minutes for a large archive: a folder swapped meanwhile is not emptied
      checkStillLeadsTo(dir, key, "nothing was removed");
      Tree.emptyDirectory(dir);
    }
    Path created = firstMissing(dir);
    checkStillLeadsTo(
        dir, key, empty ? "nothing was written" : "its contents were removed, nothing was written");
    Files.createDirectories(dir);
    // the record first: a marker is only ever found with the record that makes it one
    byte[] random = new byte[16];
    TOKENS.nextBytes(random);
    String token = Digests.hex(random);
    RepositoryFiles.writeAtomically(record, (token + "\n").getBytes(StandardCharsets.UTF_8));
    String markerName = MARKER + token;
    Path marker = dir.resolve(markerName);
    writeMarker(marker);
    Progress progress = new Progress(listener, m.totals().bytes());
    boolean done = false;
    try {
      // Owners are restored only by root, as GNU tar does: anyone else owns what they create.
      boolean asRoot =
          Integer.valueOf(0)
              .equals(Files.getAttribute(marker, "unix:uid", LinkOption.NOFOLLOW_LINKS));
      try (Extraction extraction = new Extraction(ref, dir, progress, asRoot, markerName)) {
        extraction.linksAhead(
            m.entries().stream().anyMatch(e -> e.type() == Manifest.EntryType.HARDLINK));
        if (!extractInParallel(m, extraction, progress)) {
          extractInOrder(m, extraction);
        }
        extraction.finish();
        Files.delete(marker);
        Files.deleteIfExists(record);
        // complete from here: a folder whose mode or owner cannot be set keeps what was restored
        done = true;
        try {
          extraction.applyRoot(trustedRoot(m));
        } catch (IOException | RuntimeException e) {
          String why =
              "restored every entry into "
                  + dir
                  + ", but could not give the folder itself its archived mode, owner or time: "
                  + e.getMessage();
          if (asRoot) {
            throw ActionException.check(why);
          }
          // as another user, into a folder it does not own, as GNU tar would warn: the entries
          // are what was asked for
          LOG.warn(why);
          if (listener != null) {
            listener.message(why);
          }
        }
      }
      fsync(dir);
      progress.report();
      return new RestoreResult(
          ref, dir, m.totals().entries(), m.totals().files(), m.totals().bytes(), interrupted);
    } finally {
      if (!done) {
        // The target was empty (or emptied) before: take the half-restored tree back, the marker
        // last, so a
        // failure of this clean-up still leaves the target recognisable as incomplete.
        Tree.emptyDirectoryQuietly(dir, markerName);
        try {
          Files.deleteIfExists(marker);
          Files.deleteIfExists(record);
          removeCreated(created, dir);
        } catch (IOException e) {
          // the marker (and its record) stay: the next restore cleans up
        }
      }
    }
  }

  /**
   * Refuses a target that no longer leads where it did when it was checked and locked ({@code
   * key}): a folder on its path replaced since by a link (or a link re-pointed) would have it empty
   * or write into wherever that leads, the repository too. Only narrows the window: the emptying
   * and the opening of the target go by path, a swap after this is not seen (the entries below the
   * target are safe, {@link Extraction} opens each folder without following links).
   */
  private static void checkStillLeadsTo(Path dir, Path key, String done) {
    Path now = realish(dir);
    if (!now.equals(key)) {
      throw ActionException.check(
          "restore target "
              + dir
              + " changed while the restore ran: it led to "
              + key
              + " when it was checked, and now leads to "
              + now
              + " (a folder on its path was replaced by a symbolic link, or a link on it points"
              + " elsewhere now); "
              + done);
    }
  }

  /**
   * The manifest's metadata for the folder itself, unless the manifest changed since the archive
   * was verified: no tar header repeats it, so only the verified manifest vouches for it. The
   * entries were checked against their tar headers as they were written; the folder keeps the mode
   * it has, and the archive is marked damaged, as a verify would find it.
   */
  private Manifest.Root trustedRoot(Manifest m) {
    String changed = ArchiveStates.manifestChangedSinceVerify(ref);
    if (changed == null) {
      return m.root();
    }
    String why = "archive " + ref.name() + ": " + changed;
    repository.markDamaged(ref, "restore", why);
    if (listener != null) {
      listener.message(
          dev.lifeboat.activities.action.Printable.line(
              why
                  + "; every entry matched its tar header, but the folder's own mode, owner and"
                  + " time were not applied"));
    }
    return null;
  }

  /** The outermost folder of {@code dir} that does not exist yet, or null when it does. */
  private static Path firstMissing(Path dir) {
    Path missing = null;
    for (Path p = dir;
        p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        p = p.getParent()) {
      missing = p;
    }
    return missing;
  }

  /**
   * A failed restore into a path it made leaves no empty folders behind: from {@code dir} up to
   * {@code created}, each folder goes if nothing else was put in it meanwhile.
   */
  private static void removeCreated(Path created, Path dir) {
    if (created == null) {
      return;
    }
    for (Path p = dir; p != null && p.startsWith(created); p = p.getParent()) {
      try {
        Files.delete(p);
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Front to back through the whole archive, one entry after the other, as tar would. */
  private void extractInOrder(Manifest m, Extraction extraction) throws IOException {
    List<Entry> entries = m.entries();
    int i = 0;
    try (ArchiveReader reader = ArchiveEntries.open(ref)) {
      TarArchiveEntry te;
      while ((te = ArchiveEntries.next(reader, ref, entries, i)) != null) {
        Entry e = ArchiveEntries.expect(ref, entries, i, te);
        i++;
        extraction.write(e, reader.data(), Owner.of(te));
      }
      ArchiveEntries.expectEnd(ref, entries, i);
      ArchiveEntries.checkArchiveDigest(ref, m, ArchiveEntries.drain(reader, ref));
    }
  }

  /**
   * Each run of entries from its members (the manifest says where they are; a pack of small files
   * shares them), on {@link #threads} threads: directories first on this thread, then files in
   * parallel, then hard links, then (in {@link Extraction#finish}) symlinks and directory
   * attributes. The same checks as {@link Checker}: members tile the file, every entry matches the
   * manifest, nothing but zeros after the last entry, and the whole file's SHA-256, digested on one
   * more thread. The first failure stops every thread, and the one reported is the earliest in the
   * archive. False, with nothing written, for archives whose entries must go in order (see {@link
   * Extraction#independent}) or whose manifest does not place every member.
   */
  private boolean extractInParallel(Manifest m, Extraction extraction, Progress progress)
      throws IOException {
    List<Entry> entries = m.entries();
    try (FileChannel ch = FileChannel.open(ref.path(), StandardOpenOption.READ)) {
      long size = ch.size();
      String layout = Checker.layoutProblem(ref, m, size);
      if (layout != null) {
        // tar's order still restores every byte, checked against the archive's digest; but the
        // manifest cannot place a single file or be reused, as verify would say
        String why = layout + "; restoring front to back instead, and marking the archive damaged";
        LOG.warn(why);
        if (listener != null) {
          listener.message(why);
        }
        repository.markDamaged(ref, "restore", layout);
        return false;
      }
      if (!Extraction.independent(entries)) {
        return false;
      }
      extraction.prepare(entries);
      int threads = threads();
      ExecutorService pool = DaemonThreads.pool("lifeboat-restore", threads + 1);
      Compression format = Compression.checked(ref, m);
      MemberDecoder.PerThread decoders = new MemberDecoder.PerThread(format);
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentSkipListMap<Integer, Throwable> failures = new ConcurrentSkipListMap<>();
      try {
        Future<String> fileDigest = pool.submit(() -> Checker.digestFile(ch, size, stop));
        try {
          Checker.eachRun(
              pool,
              threads,
              entries,
              (start, end) -> {
                int[] at = {start};
                try {
                  return restoreRun(ch, entries, start, end, at, decoders.get(), extraction, stop);
                } catch (Stopped e) {
                  throw e;
                } catch (IOException | RuntimeException | Error e) {
                  failures.put(at[0], e);
                  stop.set(true);
                  throw e;
                }
              },
              progress);
          long end = m.totals().endMemberOffset();
          Checker.checkEnd(ref, format, ch, end, size - end);
          extraction.links(entries);
          ArchiveEntries.checkArchiveDigest(ref, m, Checker.get(fileDigest));
        } catch (IOException | RuntimeException | Error e) {
          stop.set(true);
          pool.shutdown();
          Checker.awaitEnd(pool);
          // the earliest entry that failed of itself, not one stopped because of another
          Throwable first = failures.isEmpty() ? e : failures.firstEntry().getValue();
          if (first instanceof IOException io) {
            throw io;
          }
          if (first instanceof RuntimeException r) {
            throw r;
          }
          if (first instanceof Error err) {
            throw err;
          }
          throw e;
        }
      } finally {
        pool.shutdown();
        if (Checker.awaitEnd(pool)) {
          decoders.close();
        }
      }
    }
    return true;
  }

  /**
   * One run of entries (a pack, or one entry) on a pool thread; for each, -1 or the bytes of a file
   * written, for the progress. {@code at[0]} follows the entry being read, to name a failure's.
   */
  private long[] restoreRun(
      FileChannel ch,
      List<Entry> entries,
      int start,
      int end,
      int[] at,
      MemberDecoder decoder,
      Extraction extraction,
      AtomicBoolean stop)
      throws IOException {
    if (stop.get()) {
      throw new Stopped();
    }
    long[] results = new long[end - start];
    Checker.readRun(
        ref,
        ch,
        entries,
        start,
        end,
        decoder,
        (i, te, data) -> {
          at[0] = i;
          Entry e = entries.get(i);
          extraction.writeConcurrently(e, new Stoppable(data, stop), Owner.of(te));
          results[i - start] = e.type() == EntryType.FILE ? e.size() : -1L;
        });
    return results;
  }

  /**
   * Threads writing files: one per core, at most 8. More did not help here: creating files is
   * mostly the file system's work, one file at a time per directory.
   */
  static int threads() {
    return Math.min(8, Runtime.getRuntime().availableProcessors());
  }

  /** Another thread's failure (or a cancel) ended the restore before this entry was done. */
  private static final class Stopped extends InterruptedIOException {
    Stopped() {
      super("the restore stopped");
    }
  }

  /** An entry's data that ends in {@link Stopped} as soon as the restore stops. */
  private static final class Stoppable extends FilterInputStream {
    private final AtomicBoolean stop;

    Stoppable(InputStream in, AtomicBoolean stop) {
      super(in);
      this.stop = stop;
    }

    @Override
    public int read() throws IOException {
      check();
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      return super.read(b, off, len);
    }

    private void check() throws Stopped {
      if (stop.get()) {
        throw new Stopped();
      }
    }
  }

  /**
   * Refuses a target whose emptying or overwriting would destroy the backups or Lifeboat itself:
   * `/`, the repository, anything inside it or above it, and the folders holding the running
   * process (its working directory and the code it runs from) or above them. Judged by where the
   * target leads ({@link #realish}), and by device and inode for a bind mount of the repository.
   */
  static void checkTarget(Path dir, Path repositoryRoot) {
    Path real = realish(dir);
    if (real.getParent() == null) {
      throw ActionException.invalid(
          "restore target " + dir + " is the root directory; restore into a folder");
    }
    Path repo = realish(repositoryRoot);
    // the repository or a folder of it reached another way (a bind mount), which no path sees
    RepositoryFolders.Same mountedInside =
        real.startsWith(repo) ? null : RepositoryFolders.of(repo).at(real, repo);
    if (real.startsWith(repo) || mountedInside != null) {
      boolean itself =
          mountedInside == null
              ? real.equals(repo)
              : real.equals(mountedInside.at()) && mountedInside.is().equals(repo);
      throw ActionException.invalid(
          "restore target "
              + dir
              + " is "
              + (itself ? "" : "inside ")
              + "the backup repository "
              + repositoryRoot
              + (mountedInside == null
                  ? leadsTo(dir, real, null, null)
                  : mountedAgain(mountedInside.at(), mountedInside.is()))
              + ", where a restore would write among the archives; "
              + RESTORE_OUTSIDE);
    }
    Path mountedAbove = sameFolderAt(repo, real);
    if (repo.startsWith(real) || mountedAbove != null) {
      throw ActionException.invalid(
          "restore target "
              + dir
              + " holds the backup repository "
              + repositoryRoot
              + leadsTo(dir, real, real, mountedAbove)
              + "; restore into a folder that does not contain it");
    }
    for (Path running : runningFrom()) {
      if (running.startsWith(real)) {
        throw ActionException.invalid(
            "restore target "
                + dir
                + " holds the running Lifeboat ("
                + running
                + "); restore into another folder");
      }
    }
  }

  /**
   * Refuses a target that holds the archive being restored or an archive root (an external drive
   * mounted below it), or lies in an archive root, clean or not: emptying it deleted the archive
   * mid-restore and every other archive on the drive, and no restore may write where the archive it
   * reads lies, nor among other archives (a restored file named like one, or its manifest, is one).
   */
  static void checkArchivesOutside(Path dir, Path archive, List<Path> archiveRoots) {
    checkArchiveRoots(dir, archiveRoots, false);
    if (realish(archive).startsWith(realish(dir))) {
      throw ActionException.invalid(
          "restore target "
              + dir
              + " holds the archive being restored ("
              + archive
              + "); restore into a folder that does not contain it");
    }
    checkArchiveRoots(dir, archiveRoots, true);
  }

  /**
   * Refuses a target that is or holds an archive root, or ({@code inside}) lies in one: the layout
   * of an archive root is the user's, any folder in it may hold archives.
   */
  static void checkArchiveRoots(Path dir, List<Path> archiveRoots, boolean inside) {
    Path real = realish(dir);
    for (Path root : archiveRoots) {
      Path r = realish(root);
      Path mountedInside = sameFolderAt(real, r);
      boolean same = r.equals(real) || real.equals(mountedInside);
      if (same || inside && (real.startsWith(r) || mountedInside != null)) {
        throw ActionException.invalid(
            "restore target "
                + dir
                + " is "
                + (same ? "" : "inside ")
                + "the archive root "
                + root
                + " (LIFEBOAT_ARCHIVE_ROOTS)"
                + leadsTo(dir, real, mountedInside, r)
                + ", where a restore would write among the archives; "
                + RESTORE_OUTSIDE);
      }
      Path mountedAbove = sameFolderAt(r, real);
      if (r.startsWith(real) || mountedAbove != null) {
        throw ActionException.invalid(
            "restore target "
                + dir
                + " holds the archive root "
                + root
                + " (LIFEBOAT_ARCHIVE_ROOTS)"
                + leadsTo(dir, real, real, mountedAbove)
                + "; restore into a folder that does not contain it");
      }
    }
  }

  /** The working directory and the folder of the jar (or classes) this code runs from. */
  private static List<Path> runningFrom() {
    List<Path> out = new ArrayList<>();
    out.add(realish(Path.of(System.getProperty("user.dir"))));
    try {
      var source = Restorer.class.getProtectionDomain().getCodeSource();
      if (source != null && source.getLocation() != null) {
        Path code = Path.of(source.getLocation().toURI());
        out.add(realish(Files.isRegularFile(code) ? code.getParent() : code));
      }
    } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
      // not a file location (e.g. a custom class loader): only the working directory counts
    }
    return out;
  }

  /**
   * Says, for a refusal, where {@code dir} leads when that is not what it says: through symbolic
   * links ({@code real}), or to a folder that is {@code other} mounted again at {@code mounted}.
   */
  private static String leadsTo(Path dir, Path real, Path mounted, Path other) {
    if (mounted != null && other != null) {
      return mountedAgain(mounted, other);
    }
    return real.equals(dir) ? "" : " (through symbolic links, " + real + ")";
  }

  /** Says, for a refusal, that the folder at {@code mounted} is {@code other} reached again. */
  static String mountedAgain(Path mounted, Path other) {
    return " (" + mounted + " is " + other + ", mounted again)";
  }

  /**
   * The folder, {@code real} or one above it, that is {@code folder} itself reached by another path
   * (a bind mount: the same device and inode); null when none is, or {@code folder} does not exist.
   * Both are real paths: one that is {@code folder} by its path is not looked for.
   */
  static Path sameFolderAt(Path real, Path folder) {
    Object key = fileKey(folder);
    if (key == null) {
      return null;
    }
    for (Path p = real; p != null; p = p.getParent()) {
      if (!p.startsWith(folder) && key.equals(fileKey(p))) {
        return p;
      }
    }
    return null;
  }

  private static Object fileKey(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * Symbolic links followed at most, as Linux (MAXSYMLINKS): more is a loop, which no one opens.
   */
  private static final int MAX_LINKS = 40;

  /**
   * What the path will be once created: {@code p} made absolute and normalized (as every caller
   * writes it), each symbolic link along it followed, also one to a folder that does not exist yet
   * (no folder is made through it, but once anyone makes that folder, a backup its source folder in
   * the repository say, a restore below the link writes there), and what does not exist as written.
   */
  static Path realish(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    try {
      return abs.toRealPath();
    } catch (IOException e) {
      // some of it is missing: walk it name by name
    }
    Path at = abs.getRoot();
    java.util.ArrayDeque<Path> rest = new java.util.ArrayDeque<>();
    abs.forEach(rest::add);
    int links = 0;
    while (!rest.isEmpty()) {
      String name = rest.removeFirst().toString();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        // from a link's text; what comes before is a real path, so its parent is the way up
        at = at.getParent() == null ? at : at.getParent();
        continue;
      }
      Path next = at.resolve(name);
      if (links < MAX_LINKS && Files.isSymbolicLink(next)) {
        try {
          Path to = Files.readSymbolicLink(next);
          links++;
          List<Path> names = new ArrayList<>();
          to.forEach(names::add);
          for (int i = names.size() - 1; i >= 0; i--) {
            rest.addFirst(names.get(i));
          }
          if (to.isAbsolute()) {
            at = to.getRoot();
          }
          continue;
        } catch (IOException e) {
          // gone meanwhile: as written
        }
      }
      at = next;
    }
    return at;
  }

  /**
   * Files whose member is under 1/64 of their size are mostly zeros (disk images, databases, sparse
   * files), which a restore writes as holes: they may need far less than their size.
   */
  static final int ZERO_HEAVY_RATIO = 64;

  private static void checkSpace(
      Path dir, Manifest m, long freed, long freedEntries, ProgressListener listener)
      throws IOException {
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return;
    }
    long usable = Files.getFileStore(existing).getUsableSpace() + freed;
    long margins = m.totals().entries() * MARGIN_PER_ENTRY + MARGIN;
    // a manifest's sizes are untrusted: one near the largest long must not wrap to a small need
    long needed =
        m.totals().bytes() > Long.MAX_VALUE - margins
            ? Long.MAX_VALUE
            : m.totals().bytes() + margins;
    long zeroHeavy = 0;
    for (Manifest.Entry e : m.entries()) {
      if (e.type() == Manifest.EntryType.FILE
          && e.memberLength() > 0
          && e.size() / ZERO_HEAVY_RATIO > e.memberLength()) {
        zeroHeavy = Math.min(Long.MAX_VALUE / 2, zeroHeavy + e.size());
      }
    }
    if (usable < needed && needed - zeroHeavy <= usable) {
      // refused by the files' sizes alone, a sparse 2 GB disk image kept a home from a disk it
      // fits on: go ahead; a disk that fills stops the restore, which takes back what it wrote
      if (listener != null) {
        listener.message(
            "restore target "
                + dir
                + " has "
                + usable
                + " bytes free for up to "
                + needed
                + "; going ahead: "
                + zeroHeavy
                + " bytes are in files that are mostly zeros, which are restored as holes");
      }
      return;
    }
    if (usable < needed) {
      throw ActionException.check(
          "restore target "
              + dir
              + " needs "
              + needed
              + " bytes ("
              + m.totals().bytes()
              + " of files and "
              + margins
              + " for folders, metadata and headroom), "
              + usable
              + " free"
              + (freed > 0 ? " (counting the " + freed + " bytes its current contents use)" : "")
              + "; nothing was changed");
    }
    // a file system out of inodes fails as a full one does, halfway through
    long inodes = LibC.freeInodes(existing);
    long neededInodes = m.totals().entries() + 16;
    if (inodes >= 0 && inodes + freedEntries < neededInodes) {
      throw ActionException.check(
          "restore target "
              + dir
              + " needs "
              + neededInodes
              + " inodes (files and folders), its file system has "
              + inodes
              + " free"
              + (freedEntries > 0
                  ? " (counting the " + freedEntries + " its current contents use)"
                  : "")
              + "; nothing was removed");
    }
  }

  /**
   * The bytes of the files under {@code dir}, which is about to be emptied: another file system
   * mounted inside it, or a folder this process cannot remove entries from (another user's,
   * read-only), is refused first, naming it, so that nothing is removed rather than part of it. So
   * is ({@code refuseArchives}) one holding Lifeboat archives anywhere below: a copy of a
   * repository or a set or source folder of one, another machine's drive. This walk visits every
   * entry of what is about to be emptied anyway: looking costs one name match per file, and a look
   * beside those named like an archive.
   */
  private static long[] fileBytes(Path dir, Mounts mounts, boolean refuseArchives)
      throws IOException {
    // bytes of regular files, entries
    long[] total = {0, 0};
    java.util.TreeSet<Path> mounted = new java.util.TreeSet<>(mounts.listedInside(realish(dir)));
    List<Path> registry = new ArrayList<>();
    Object device = mounts.device(dir);
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            if (!d.equals(dir) && !device.equals(mounts.device(d))) {
              // never into another file system: what is there is not the target's to empty
              mounted.add(d);
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (refuseArchives
                && !d.equals(dir)
                && d.getFileName().toString().equals(RestoreTargets.DIR)) {
              // said once no archive is found: those are what the user would miss
              registry.add(d);
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (!Files.isWritable(d) || !Files.isExecutable(d)) {
              throw ActionException.check(
                  "restore target "
                      + dir
                      + " cannot be emptied: this user ("
                      + System.getProperty("user.name")
                      + ") may not remove what "
                      + d
                      + " holds; nothing was removed");
            }
            if (!d.equals(dir)) {
              total[1]++;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (refuseArchives && attrs.isRegularFile() && isArchiveWithManifest(file)) {
              throw holdsArchives(dir, "Lifeboat archives (" + file + ", beside its manifest)");
            }
            total[1]++;
            if (attrs.isRegularFile()) {
              total[0] += attrs.size();
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException exc) {
            return FileVisitResult.CONTINUE;
          }
        });
    if (!registry.isEmpty()) {
      throw holdsArchives(
          dir, "a Lifeboat backup repository (its restore registry " + registry.get(0) + ")");
    }
    if (!mounted.isEmpty()) {
      throw ActionException.check(
          "restore target "
              + dir
              + " has another file system mounted inside it ("
              + String.join(", ", mounted.stream().limit(5).map(Path::toString).toList())
              + (mounted.size() > 5 ? " and " + (mounted.size() - 5) + " more" : "")
              + "), which a clean restore would empty too; unmount it or restore into another"
              + " folder; nothing was removed");
    }
    return total;
  }

  /**
   * An archive as a repository or archive root keeps it: named {@code <UTC time>.tar.gz} (or {@code
   * .tar.zst}) with its manifest beside it. A file of that name alone is the user's.
   */
  private static boolean isArchiveWithManifest(Path file) {
    String name = file.getFileName().toString();
    return ArchiveNames.isArchive(name)
        && Files.isRegularFile(
            file.resolveSibling(ArchiveNames.stem(name) + ArchiveNames.MANIFEST_SUFFIX),
            LinkOption.NOFOLLOW_LINKS);
  }

  private static ActionException holdsArchives(Path dir, String what) {
    return ActionException.check(
        "restore target "
            + dir
            + " holds "
            + what
            + ", which a clean restore would delete; "
            + RESTORE_OUTSIDE
            + ", or move the archives out of it first; nothing was removed");
  }

  private static void writeMarker(Path marker) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            marker,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING,
            LinkOption.NOFOLLOW_LINKS)) {
      ch.write(ByteBuffer.wrap(MARKER_TEXT.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    fsync(marker.getParent());
  }

  private static void fsync(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some file systems cannot sync a directory
    }
  }

  private static boolean hasEntries(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.findAny().isPresent();
    }
  }

  /**
   * True when {@code dir} holds the marker of a restore into it that never finished: the token the
   * repository recorded for this folder names a marker file there.
   */
  private static boolean interruptedHere(Path dir, Path record) {
    try {
      if (!Files.isRegularFile(record, LinkOption.NOFOLLOW_LINKS) || Files.size(record) > 64) {
        return false;
      }
      String token = Files.readString(record, StandardCharsets.UTF_8).trim();
      return token.matches("[0-9a-f]{32}")
          && Files.isRegularFile(dir.resolve(MARKER + token), LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
