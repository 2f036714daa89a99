package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the repository puts files on disk: owner-only modes, timestamp names claimed by creating
 * their partial file, atomic writes (partial name, fsync, rename), the {@code latest} pointer, the
 * leftovers of interrupted writes, and a full disk reported as such.
 */
final class RepositoryFiles {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryFiles.class);

  private RepositoryFiles() {}

  /** Archives hold copies of private files: only the owner reads them. */
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

  /**
   * The repository, set and source directories, created owner-only (they hold copies of private
   * files).
   */
  static void createPrivateDirectories(Path root, Path dir) throws IOException {
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
      if (ArchiveNames.archiveExists(dir, stem) || hasRecord(dir, stem)) {
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

  /**
   * Whether a manifest, state record, pin or prune record of {@code stem} is there: the name of a
   * lost or pruned archive is not taken again, or its record would pass for the new archive's.
   */
  private static boolean hasRecord(Path dir, String stem) {
    for (String suffix :
        List.of(
            ArchiveNames.MANIFEST_SUFFIX,
            ArchiveNames.STATE_SUFFIX,
            ArchiveNames.PIN_SUFFIX,
            ArchiveNames.PRUNED_SUFFIX)) {
      if (Files.exists(dir.resolve(stem + suffix), LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Writes under a partial name, fsyncs, renames: readers see the old content or the new, never
   * half.
   */
  static void writeAtomically(Path target, byte[] data) throws IOException {
    writeAtomically(
        target,
        data.length,
        out -> {
          // in slices: one write of a large heap array costs a direct buffer of its whole size
          for (int at = 0; at < data.length; at += 64 * 1024) {
            out.write(data, at, Math.min(64 * 1024, data.length - at));
          }
        });
  }

  /** What goes into a file written atomically. */
  interface Content {
    void writeTo(java.io.OutputStream out) throws IOException;
  }

  /**
   * As {@link #writeAtomically(Path, byte[])}, streaming: a manifest of a large tree is tens of
   * megabytes that need not sit in memory at once. {@code size} is the expected size, for the
   * message when the disk is full.
   */
  static void writeAtomically(Path target, long size, Content content) throws IOException {
    Path tmp = partialOf(target);
    boolean moved = false;
    try {
      try (FileChannel ch = openPartial(tmp)) {
        java.io.OutputStream out =
            new java.io.BufferedOutputStream(
                java.nio.channels.Channels.newOutputStream(ch), 64 * 1024);
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
    } catch (IOException e) {
      if (isDiskFull(e)) {
        throw diskFull(target, target.getParent(), size, false, e);
      }
      throw e;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
    fsyncDirectory(target.getParent());
  }

  /** The hidden partial file {@code target} is written as before it is renamed into place. */
  static Path partialOf(Path target) {
    return target.resolveSibling(ArchiveNames.partial(target.getFileName().toString()));
  }

  /** Opens (emptied, made if missing) a partial file for writing, private as the archives are. */
  static FileChannel openPartial(Path tmp) throws IOException {
    return FileChannel.open(
        tmp,
        Set.of(
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING),
        PosixFilePermissions.asFileAttribute(FILE_MODE));
  }

  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename is still atomic there.
    }
  }

  static Optional<String> readLatest(Path dir) {
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
   * Removes what interrupted writes left in every source whose lock is free (busy ones have a live
   * writer) and returns the removed files as {@code <set>/<source>/<file>}. The worker calls it at
   * start.
   */
  static List<String> cleanLeftovers(Path root) throws IOException {
    List<String> removed = new ArrayList<>();
    for (String set : Catalog.subdirectories(root)) {
      for (String source : Catalog.subdirectories(root.resolve(set))) {
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
   * nor block a name. The sidecars of an archive that was published and went missing (no partial
   * file of an unfinished write is left: {@link ArchiveStates#lostBackup}) are no leftovers: they
   * stay, as the listing's record of the loss, and are logged as a warning. Partial files go last:
   * a cleanup that stops halfway leaves sidecars that still read as an unfinished write's.
   */
  static List<String> removeLeftovers(Path dir) throws IOException {
    java.util.Map<String, String> lost = new java.util.TreeMap<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.sorted().toList();
    }
    List<Path> sidecars = new ArrayList<>();
    List<Path> partials = new ArrayList<>();
    for (Path f : files) {
      String n = f.getFileName().toString();
      boolean partial = n.startsWith(".") && n.endsWith(ArchiveNames.PARTIAL_SUFFIX);
      String orphan = partial ? null : orphanStem(dir, n);
      if (orphan != null) {
        String why = lost.computeIfAbsent(orphan, stem -> lostBackup(dir, stem));
        if (!why.isEmpty()) {
          continue;
        }
      }
      if ((partial || orphan != null) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        (partial ? partials : sidecars).add(f);
      }
    }
    List<String> removed = new ArrayList<>();
    for (Path f : sidecars) {
      Files.deleteIfExists(f);
      removed.add(f.getFileName().toString());
    }
    if (!sidecars.isEmpty() && !partials.isEmpty()) {
      // the sidecars' removal is on disk before the partial file that marks them as unfinished
      fsyncDirectory(dir);
    }
    for (Path f : partials) {
      Files.deleteIfExists(f);
      removed.add(f.getFileName().toString());
    }
    lost.forEach(
        (stem, why) -> {
          if (!why.isEmpty()) {
            LOG.warn(
                "archive {} is missing ({}): its sidecars are kept as the record of the loss",
                dir.resolve(stem + ArchiveNames.ARCHIVE_SUFFIX),
                why);
          }
        });
    if (!removed.isEmpty()) {
      LOG.info("removed leftovers of an interrupted write in {}: {}", dir, removed);
      fsyncDirectory(dir);
    }
    return removed;
  }

  /**
   * The stem of a sidecar whose archive is not there; null for any other file. Pins and prune
   * records are never leftovers: the user's word, and what the offsite sync reads.
   */
  private static String orphanStem(Path dir, String n) {
    for (String suffix :
        List.of(
            ArchiveNames.MANIFEST_SUFFIX,
            ArchiveNames.STATE_SUFFIX,
            ArchiveNames.VERIFIED_SUFFIX,
            ArchiveNames.DRILL_SUFFIX)) {
      if (n.endsWith(suffix)) {
        String stem = n.substring(0, n.length() - suffix.length());
        return ArchiveNames.isStem(stem) && !ArchiveNames.archiveExists(dir, stem) ? stem : null;
      }
    }
    return null;
  }

  /**
   * {@link ArchiveStates#lostBackup} for a stem, as the listing shows it ("" when it is no loss);
   * sidecar paths need only the stem.
   */
  private static String lostBackup(Path dir, String stem) {
    String name = stem + ArchiveNames.ARCHIVE_SUFFIX;
    String why = ArchiveStates.lostBackup(new ArchiveRef("", "", name, dir.resolve(name)));
    return why == null ? "" : why;
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

  /**
   * Why {@code e}, met writing into {@code dir}, says the disk cannot be written at all: {@code "is
   * full"}, {@code "is read-only"}; null for any other failure. The folder is asked as well as the
   * message: a read-only mount and a missing permission have their own error texts.
   */
  static String unwritable(Path dir, Throwable e) {
    if (isDiskFull(e)) {
      return "is full";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.nio.file.FileSystemException fs) {
        if (String.valueOf(fs.getReason()).contains("Read-only file system")
            || !Files.isWritable(existingOf(dir))) {
          return "is read-only";
        }
      }
    }
    return null;
  }

  /**
   * A writer's failure to take its lock or make its folder in a repository that {@link #unwritable}
   * is thrown as a failed check naming the disk (retrying cannot help); otherwise this returns and
   * the caller rethrows {@code e}.
   */
  static void throwIfUnwritable(Path root, Path dir, String what, IOException e) {
    String why = unwritable(dir, e);
    if (why == null) {
      return;
    }
    String free;
    try {
      free = ", " + Files.getFileStore(existingOf(dir)).getUsableSpace() + " bytes free";
    } catch (IOException | RuntimeException ex) {
      free = "";
    }
    throw ActionException.check(
        "the backup repository "
            + root
            + " "
            + why
            + (why.equals("is full") ? free : "")
            + ": "
            + what
            + " cannot write into "
            + dir
            + " ("
            + e.getMessage()
            + "); "
            + (why.equals("is full")
                ? "free space or prune, then run again"
                : "mount it writable, then run again"));
  }

  private static Path existingOf(Path dir) {
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing == null ? dir : existing;
  }

  static ActionException diskFull(Path writing, Path dir, long needs, IOException e) {
    return diskFull(writing, dir, needs, true, e);
  }

  /**
   * {@code uncompressed}: {@code needs} counts the data before compression (an archive's), not the
   * bytes of the file itself (a small record's).
   */
  static ActionException diskFull(
      Path writing, Path dir, long needs, boolean uncompressed, IOException e) {
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
            + (needs > 0
                ? needs + " bytes" + (uncompressed ? " (uncompressed)" : "")
                : "more space")
            + ", "
            + free
            + "; free space or prune, then run again",
        e);
  }
}
