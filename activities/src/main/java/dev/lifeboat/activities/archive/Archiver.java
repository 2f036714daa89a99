package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Writes and publishes archives (the repository's archiver, as restic calls it). A directory backup
 * reuses the newest verified archive of its source: a file whose path, size, mtime, mode, ctime and
 * inode are what that archive's manifest recorded is not read again; its gzip member is copied byte
 * for byte, with its digest. A tar stream (pods, PVCs) reuses by content instead: see {@link
 * #writeFromTar}. The result is still a standalone full .tar.gz (or .tar.zst: members are reused
 * only from an archive of the same kind).
 *
 * <p>Only a verified archive is copied from (the shipped backup runbooks verify each new archive as
 * their next step): rot in an archive no one has checked yet is never carried into the next one.
 * Rot after its verify is caught as the members are copied, by the CRC-32C of each member run the
 * manifest records: the previous archive is marked damaged and a directory backup starts again
 * (from an older verified archive, or reading everything), so the day's backup still succeeds; a
 * tar stream, which cannot be read twice, fails and its next attempt reads everything. The digests
 * travel with the copy, so the new archive's own verify checks every byte as well.
 */
final class Archiver {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Archiver.class);
  private final Repository repository;
  private final Clock clock;
  private final GzipMembers.Settings compression;

  Archiver(Repository repository, Clock clock, GzipMembers.Settings compression) {
    this.repository = repository;
    this.clock = clock;
    this.compression = compression;
  }

  /** Attempts at a directory backup while previous archives turn out damaged as they are copied. */
  private static final int DAMAGED_PREVIOUS_ATTEMPTS = 3;

  BackupResult writeFromDirectory(
      String set,
      String source,
      Path dir,
      List<String> includes,
      List<String> excludes,
      boolean full,
      Compression format,
      ProgressListener listener)
      throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        // the last attempt copies nothing: it cannot meet another damaged archive
        return writeFromDirectoryOnce(
            set,
            source,
            dir,
            includes,
            excludes,
            full || attempt == DAMAGED_PREVIOUS_ATTEMPTS,
            format,
            listener);
      } catch (PreviousArchiveDamaged e) {
        LOG.warn("backup of {}/{} starts again: {}", set, source, e.getMessage());
        (listener == null ? ProgressListener.NONE : listener)
            .message("starting again: " + e.getMessage());
      }
    }
  }

  private BackupResult writeFromDirectoryOnce(
      String set,
      String source,
      Path dir,
      List<String> includes,
      List<String> excludes,
      boolean full,
      Compression format,
      ProgressListener listener)
      throws IOException {
    ArchiveNames.checkSegment(set, "set");
    ArchiveNames.checkSegment(source, "source");
    if (!Files.exists(dir)) {
      throw dev.lifeboat.activities.action.ActionException.invalid(
          Files.isSymbolicLink(dir)
              ? "source "
                  + dir
                  + " is a symbolic link that leads to nothing (a loop, or a target"
                  + " that is gone)"
              : "source directory " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw dev.lifeboat.activities.action.ActionException.invalid(
          "source " + dir + " is not a directory");
    }
    SourceScan.RepositoryFolder repositoryFolder = repositoryFolder(dir);
    // a tree a restore is writing into, or left half-written, is no copy of anything
    Map<Path, String> restores = repository.checkNoRestore(dir, null);
    Thread warming = full ? null : warmPrevious(set, source);
    SourceScan.Result scan =
        SourceScan.scan(dir, includes, excludes, SourceScan.THREADS, repositoryFolder);
    if (warming != null) {
      try {
        warming.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while reading the previous manifest");
      }
    }
    for (SourceScan.Found found : scan.items()) {
      if (found.item().type() == EntryType.FILE) {
        RestoreTargets.checkMarker(dir, found);
      }
    }
    if (scan.files() == 0) {
      throw Repository.emptySource(
          dir.toString(),
          scan.items().size(),
          !(includes == null || includes.isEmpty()) || !(excludes == null || excludes.isEmpty()));
    }
    Progress progress = new Progress(listener, scan.bytes());
    List<PathNote> skipped = new ArrayList<>(scan.skipped());
    List<PathNote> changed = new ArrayList<>(scan.renamed());
    Consumer<String> readHook = repository.fileReadHook;
    return publish(
        set,
        source,
        format,
        progress,
        skipped,
        changed,
        !full,
        (writer, previous, scratch) -> {
          // A hardlinked file that could not be read: its next name carries the data, later names
          // link to that.
          Map<String, String> dataMovedTo = new HashMap<>();
          writer.root(root(dir));
          writer.packSmallFiles();
          List<SourceScan.Found> items = scan.items();
          // the scan is done: the total is known before the first file is read
          progress.report();
          // an incremental backup copies unchanged files from the previous archive: only the
          // files the scan shows new or changed are read ahead
          try (ReadAhead ahead =
              new ReadAhead(
                  items,
                  SourceScan.THREADS,
                  previous == null ? found -> true : previous::changedAtScan,
                  readHook)) {
            writeEntries(writer, previous, items, ahead, dataMovedTo, skipped, changed, readHook);
          }
        },
        // every file is read: a restore that starts after this check changes none of it
        () -> repository.checkNoRestore(dir, restores),
        dir.toString());
  }

  /** Writes the scanned entries in order, reusing what {@code previous} allows. */
  private static void writeEntries(
      ArchiveWriter writer,
      PreviousArchive previous,
      List<SourceScan.Found> items,
      ReadAhead ahead,
      Map<String, String> dataMovedTo,
      List<PathNote> skipped,
      List<PathNote> changed,
      Consumer<String> readHook)
      throws IOException {
    for (int i = 0; i < items.size(); i++) {
      // let go of each scanned entry once written: a large tree's scan is much of the heap
      SourceScan.Found found = items.set(i, null);
      ArchiveWriter.Item item = found.item();
      String unreadFirst = null;
      if (item.type() == EntryType.HARDLINK && dataMovedTo.containsKey(item.linkTarget())) {
        String holder = dataMovedTo.get(item.linkTarget());
        if (holder != null) {
          writer.add(SourceScan.relinked(item, holder), null);
          continue;
        }
        unreadFirst = item.linkTarget();
        try {
          found = SourceScan.asFile(found);
        } catch (IOException e) {
          skipped.add(new PathNote(item.path(), SourceScan.reason(e)));
          continue;
        }
        item = found.item();
      }
      if (item.type() != EntryType.FILE) {
        writer.add(item, null);
        continue;
      }
      int reused =
          previous == null
              ? 0
              : unreadFirst != null
                  ? previous.reuse(writer, found) ? 1 : 0
                  : previous.reuse(writer, found, items, i);
      if (reused > 0) {
        if (unreadFirst != null) {
          dataMovedTo.put(unreadFirst, item.path());
        }
        // a pack's other files came with it
        for (int k = 1; k < reused; k++) {
          items.set(i + k, null);
        }
        i += reused - 1;
        continue;
      }
      PreviousArchive.Kept kept =
          previous == null || unreadFirst != null ? null : previous.kept(found);
      if (kept != null) {
        writer.addKept(item, kept);
        continue;
      }
      ReadAhead.Read early = unreadFirst != null ? null : ahead.take(i);
      java.nio.channels.ReadableByteChannel in;
      try {
        if (early != null && early.openFailure() != null) {
          throw early.openFailure();
        }
        in = early != null ? early.channel() : SparseInput.channel(found.file(), item.size());
      } catch (IOException e) {
        skipped.add(new PathNote(item.path(), SourceScan.reason(e)));
        dataMovedTo.putIfAbsent(unreadFirst != null ? unreadFirst : item.path(), null);
        continue;
      }
      if (early == null) {
        readHook.accept(item.path());
      }
      long read;
      try (in) {
        read = writer.add(item, in, found.stamp());
      }
      (early != null
              ? SourceScan.change(found, read, early.after())
              : SourceScan.change(found, read))
          .ifPresent(changed::add);
      if (unreadFirst != null) {
        dataMovedTo.put(unreadFirst, item.path());
      }
    }
  }

  /**
   * The repository's folder as the scan of {@code dir} leaves it out: where it lies inside the
   * source by path (a home directory holding Lifeboat's data), and its device and inode, which find
   * it mounted again below the source. A source that is the repository or lies inside it, by path
   * or through a mount of it, is refused: every backup of it would hold the ones before.
   */
  private SourceScan.RepositoryFolder repositoryFolder(Path dir) {
    Path source = Restorer.realish(dir);
    Path repo = Restorer.realish(repository.root());
    RepositoryFolders folders = RepositoryFolders.of(repo);
    // the repository or a folder of it reached another way (a bind mount), which no path sees
    RepositoryFolders.Same mounted = source.startsWith(repo) ? null : folders.at(source, repo);
    if (source.startsWith(repo) || mounted != null) {
      boolean itself =
          mounted == null
              ? source.equals(repo)
              : source.equals(mounted.at()) && mounted.is().equals(repo);
      throw dev.lifeboat.activities.action.ActionException.invalid(
          "source "
              + dir
              + " is "
              + (itself ? "" : "inside ")
              + "the backup repository "
              + repository.root()
              + (mounted == null ? "" : Restorer.mountedAgain(mounted.at(), mounted.is()))
              + "; its archives are copied elsewhere by an offsite copy, not backed up into it");
    }
    return new SourceScan.RepositoryFolder(
        repo.startsWith(source) ? source.relativize(repo).toString() : null, folders);
  }

  /**
   * Refuses a backup of {@code dir} into a source whose newest good archive is of another folder
   * that is still there: two folders of one name (a default source name is the folder's) would
   * share one source, so retention deleted one folder's only archive for the other's, and latest
   * restored the other's files. A folder that is gone (moved, or restored elsewhere after a loss)
   * hands its source on. For a source name taken from the folder's: one a user gives is theirs to
   * share (dated export folders into one source).
   */
  void refuseAnotherFolder(String set, String source, Path dir) throws IOException {
    Optional<ArchiveInfo> newest = repository.newestGood(set, source);
    if (newest.isEmpty()) {
      return;
    }
    Manifest.Root before;
    try {
      before = repository.manifest(newest.get().ref()).root();
    } catch (DamagedArchive e) {
      return; // listed damaged next time; nothing to compare with
    }
    if (before == null || before.path() == null) {
      return;
    }
    Path other = Path.of(before.path());
    Path real = dir.toRealPath();
    if (other.equals(real) || !Files.isDirectory(other)) {
      return;
    }
    try {
      if (other.toRealPath().equals(real)) {
        return;
      }
    } catch (IOException e) {
      return;
    }
    throw dev.lifeboat.activities.action.ActionException.invalid(
        "set '"
            + set
            + "', source '"
            + source
            + "' holds backups of "
            + dev.lifeboat.activities.action.Printable.line(before.path())
            + ", another folder than "
            + real
            + ", and that folder is still there: the source name was taken from the folder's;"
            + " give this folder one of its own (the 'source' parameter), or the two folders'"
            + " archives would share one retention and one latest");
  }

  /**
   * Reads the previous archive's manifest into the repository's cache while the scan runs: both
   * take about as long on a large tree. The archive to reuse is still chosen under the source lock;
   * should that be another one, its manifest is simply read then.
   */
  private Thread warmPrevious(String set, String source) {
    Thread t =
        new Thread(
            () -> {
              try {
                // whole first: the listing then takes the head from it, not from a pass of its own
                repository.newestRecordedVerified(set, source).ifPresent(repository::manifest);
                repository.newestVerified(set, source).ifPresent(a -> repository.manifest(a.ref()));
              } catch (IOException | RuntimeException e) {
                // reading it under the lock reports what is wrong, or reuses nothing
              }
            },
            "lifeboat-previous-manifest");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Re-packs a plain tar stream into an archive. Unless {@code full}, a regular file whose path,
   * size, mtime and mode are what the newest verified archive recorded is a candidate for reuse:
   * the stream carries no ctime or inode, so its bytes are still read (they arrive anyway) and
   * digested while held back, and the old member is copied only if their SHA-256 is the old entry's
   * and the header this archive would write is byte for byte the one in the old member (owner,
   * group, names, mode, mtime, size). Otherwise the held bytes are compressed as usual. What is
   * saved is the compression, not the transfer.
   */
  BackupResult writeFromTar(
      String set,
      String source,
      InputStream tarStream,
      boolean full,
      Compression format,
      ProgressListener listener)
      throws IOException {
    ArchiveNames.checkSegment(set, "set");
    ArchiveNames.checkSegment(source, "source");
    Progress progress = new Progress(listener, 0);
    List<PathNote> skipped = new ArrayList<>();
    List<PathNote> changed = new ArrayList<>();
    // header names are read byte for byte: what is not UTF-8 comes out as %XX, as for local files
    TarArchiveInputStream in = new TarArchiveInputStream(tarStream, RawNames.CHARSET);
    RawNames.escapedSinceLastAsked();
    return publish(
        set,
        source,
        format,
        progress,
        skipped,
        changed,
        !full,
        (writer, previous, scratch) -> {
          TarArchiveEntry te;
          while ((te = in.getNextEntry()) != null) {
            String path = ArchiveReader.pathOf(te);
            if (path.isEmpty()) {
              // "./": the streamed folder itself
              if (te.isDirectory()) {
                writer.root(
                    new Manifest.Root(
                        Manifest.modeText(te.getMode()),
                        te.getLastModifiedTime().toInstant(),
                        te.getLongUserId(),
                        te.getLongGroupId(),
                        blankToNull(te.getUserName()),
                        blankToNull(te.getGroupName())));
              }
              continue;
            }
            if (RawNames.escapedSinceLastAsked() > 0) {
              changed.add(
                  new PathNote(
                      path,
                      "name or link target is not valid UTF-8: archived with each such byte as"
                          + " %XX"));
            }
            boolean special = te.isFIFO() || te.isCharacterDevice() || te.isBlockDevice();
            EntryType type = special ? null : ArchiveReader.typeOf(te);
            if (type == null) {
              skipped.add(
                  new PathNote(
                      path,
                      te.isFIFO()
                          ? "fifo"
                          : te.isCharacterDevice() || te.isBlockDevice()
                              ? "device"
                              : "not a file, directory or symlink"));
              continue;
            }
            String link =
                switch (type) {
                  case SYMLINK -> te.getLinkName();
                  case HARDLINK -> ArchiveReader.normalizeName(te.getLinkName());
                  default -> null;
                };
            long size =
                type != EntryType.FILE ? 0 : te.isSparse() ? te.getRealSize() : te.getSize();
            ArchiveWriter.Item item =
                new ArchiveWriter.Item(
                    path,
                    type,
                    te.getMode(),
                    te.getLastModifiedTime().toInstant(),
                    size,
                    link,
                    te.getLongUserId(),
                    te.getLongGroupId(),
                    blankToNull(te.getUserName()),
                    blankToNull(te.getGroupName()));
            PreviousArchive.Candidate candidate =
                previous == null || type != EntryType.FILE ? null : previous.candidate(item);
            if (candidate == null) {
              writer.add(item, in);
            } else {
              addStreamed(writer, candidate, item, in, scratch);
            }
          }
        },
        () -> {},
        "the tar stream");
  }

  /**
   * Candidates up to this size are held in memory while digested; larger ones are spooled to the
   * publish's scratch file. One candidate is held at a time.
   */
  static final int IN_MEMORY = 8 << 20;

  /**
   * Reads a candidate's bytes from the stream, digesting them, then copies the old member if they
   * are the old content, or compresses them.
   */
  private static void addStreamed(
      ArchiveWriter writer,
      PreviousArchive.Candidate candidate,
      ArchiveWriter.Item item,
      InputStream in,
      Path scratch)
      throws IOException {
    MessageDigest md = Digests.sha256();
    if (item.size() <= IN_MEMORY) {
      byte[] data = new byte[(int) item.size()];
      int n = in.readNBytes(data, 0, data.length);
      md.update(data, 0, n);
      if (n == data.length && candidate.holds(md.digest())) {
        candidate.copy(writer, item);
      } else {
        writer.add(item, new ByteArrayInputStream(data, 0, n));
      }
      return;
    }
    try {
      long held;
      try (OutputStream out =
          new DigestOutputStream(
              // the user's data, private as the archive is
              Channels.newOutputStream(RepositoryFiles.openPartial(scratch)), md)) {
        held = copyAtMost(in, out, item.size());
      }
      if (held == item.size() && candidate.holds(md.digest())) {
        candidate.copy(writer, item);
      } else {
        try (InputStream back = Files.newInputStream(scratch)) {
          writer.add(item, back);
        }
      }
    } finally {
      Files.deleteIfExists(scratch);
    }
  }

  /**
   * What a publish writes into the archive; {@code previous} is null when nothing may be reused.
   */
  private interface Body {
    /**
     * {@code scratch} is a hidden partial file beside the archive the body may use, deleted after
     * (and by the next backup's leftover cleanup after a crash).
     */
    void write(ArchiveWriter writer, PreviousArchive previous, Path scratch) throws IOException;
  }

  /** What must still hold once the body is written, before the archive is published. */
  private interface BeforePublish {
    void check() throws IOException;
  }

  /** Writes one archive body into a reserved partial file and publishes it with its manifest. */
  private BackupResult publish(
      String set,
      String source,
      Compression format,
      Progress progress,
      List<PathNote> skipped,
      List<PathNote> changed,
      boolean reuse,
      Body body,
      BeforePublish beforePublish,
      String what)
      throws IOException {
    Path dir = repository.sourceDir(set, source);
    SourceLock held;
    try {
      held = repository.lockSource(set, source, progress.listener().runId(), progress.listener());
    } catch (IOException e) {
      // a backup must write: a full or read-only disk fails it once, named
      RepositoryFiles.throwIfUnwritable(repository.root(), dir, "a backup", e);
      throw e;
    }
    try (SourceLock lock = held) {
      List<String> cleaned = RepositoryFiles.removeLeftovers(dir);
      repository.lockedWriteHook.run();
      RepositoryFiles.warnIfShort(dir, progress.bytesTotal());
      try (PreviousArchive previous =
          reuse ? PreviousArchive.open(repository, set, source, format).orElse(null) : null) {
        try {
          return publishLocked(
              set,
              source,
              format,
              dir,
              progress,
              skipped,
              changed,
              cleaned,
              body,
              beforePublish,
              previous,
              what);
        } catch (PreviousArchiveDamaged e) {
          if (previous == null) {
            throw e;
          }
          String error =
              "archive "
                  + previous.ref().name()
                  + " is damaged: "
                  + e.getMessage()
                  + " (found copying it into a new backup, which was not kept)";
          repository.markDamaged(previous.ref(), "backup", error);
          throw new PreviousArchiveDamaged(error + "; the next attempt does not copy from it", e);
        }
      }
    }
  }

  private BackupResult publishLocked(
      String set,
      String source,
      Compression format,
      Path dir,
      Progress progress,
      List<PathNote> skipped,
      List<PathNote> changed,
      List<String> cleaned,
      Body body,
      BeforePublish beforePublish,
      PreviousArchive previous,
      String what)
      throws IOException {
    Instant created = clock.instant();
    String name = RepositoryFiles.reserveName(dir, created, format);
    String stem = ArchiveNames.stem(name);
    Path partial = dir.resolve(ArchiveNames.partial(name));
    Path scratch = dir.resolve(ArchiveNames.partial(stem + ".spool"));
    Path manifestPath = dir.resolve(stem + ArchiveNames.MANIFEST_SUFFIX);
    Path archivePath = dir.resolve(name);
    boolean manifestWritten = false;
    boolean published = false;
    ManifestCache.Writer cache = null;
    try {
      Manifest manifest;
      long reusedFiles;
      long reusedBytes;
      Manifest head =
          new Manifest(
              Manifest.FORMAT_VERSION,
              set,
              source,
              name,
              created,
              format.manifestValue(),
              List.of(),
              null,
              null,
              null);
      try (ManifestSpool spool = ManifestSpool.open(manifestPath, head);
          ArchiveWriter writer = new ArchiveWriter(partial, progress, compression, format)) {
        writer.spoolManifest(spool);
        body.write(writer, previous, scratch);
        if (writer.files() == 0) {
          throw Repository.emptySource(what, writer.entryCount(), false);
        }
        writer.finish();
        writer.spoolRest();
        // kept with the archive: a listing, the health check and the metrics tell an archive short
        // of its source long after the run that said so is gone
        manifest =
            // its entries are in the spooled file
            head.with(List.of(), writer.totals(), writer.archiveSha256(), writer.root())
                .withUnreadable(skipped.stream().filter(PathNote::unreadable).count());
        reusedFiles = writer.reusedFiles();
        reusedBytes = writer.reusedBytes();
        spool.commit(manifest);
        manifestWritten = true;
        cache = spool.cache();
      }
      beforePublish.check();
      // the state exists before the archive does: no reader ever sees an archive without one; the
      // partial file, there until the rename, tells this unfinished write from a lost archive
      ArchiveStates.write(
          new ArchiveRef(set, source, name, archivePath),
          ArchiveState.unverified(created, "backup"));
      Files.move(partial, archivePath, StandardCopyOption.ATOMIC_MOVE);
      published = true;
      RepositoryFiles.fsyncDirectory(dir);
      if (cache != null) {
        // the next backup of the source reads this archive's manifest from it
        cache.place();
      }
      try {
        RepositoryFiles.writeLatest(dir, name);
      } catch (IOException | dev.lifeboat.activities.action.ActionException e) {
        // a full disk comes as the ActionException that names it
        // the archive is whole and published; without the pointer, latest is the newest good
        // archive all the same. Failing here left a complete archive behind a failed step.
        LOG.warn("archive {} published, but its latest pointer was not written: {}", name, e);
        progress
            .listener()
            .message(
                "archive "
                    + name
                    + " is complete, but the latest pointer could not be written ("
                    + (RepositoryFiles.isDiskFull(e) ? "the disk is full" : e.getMessage())
                    + "); latest still finds it as the newest good archive");
      }
      progress.report();
      Manifest.Totals t = manifest.totals();
      return new BackupResult(
          new ArchiveRef(set, source, name, archivePath),
          t.entries(),
          t.files(),
          t.bytes(),
          t.compressedBytes(),
          manifest.archiveSha256(),
          skipped,
          changed,
          cleaned,
          reusedFiles,
          reusedBytes,
          previous == null ? null : previous.ref().name());
    } catch (IOException e) {
      if (RepositoryFiles.isDiskFull(e)) {
        // not worth retrying: the next attempt fills the disk again
        throw RepositoryFiles.diskFull(archivePath, dir, progress.bytesTotal(), e);
      }
      throw e;
    } finally {
      Files.deleteIfExists(scratch);
      if (!published) {
        if (cache != null) {
          cache.abandon();
        }
        // the partial file last: while it is there, manifest and state read as an unfinished
        // write's (a kill between the deletions would otherwise leave the record of a lost backup)
        if (manifestWritten) {
          Files.deleteIfExists(dir.resolve(stem + ArchiveNames.STATE_SUFFIX));
          Files.deleteIfExists(manifestPath);
        }
        Files.deleteIfExists(partial);
      }
    }
  }

  private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long done = 0;
    int n;
    while (done < limit
        && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - done))) > 0) {
      out.write(buffer, 0, n);
      done += n;
    }
    return done;
  }

  /** The folder's own metadata, as the scan reads an entry's; null when it cannot be read. */
  private static Manifest.Root root(Path dir) {
    try {
      Path real = dir.toRealPath();
      ArchiveWriter.Item it = SourceScan.stat(real);
      return new Manifest.Root(
          Manifest.modeText(it.mode()),
          it.mtime(),
          it.uid(),
          it.gid(),
          it.user(),
          it.group(),
          real.toString());
    } catch (IOException e) {
      LOG.warn("the mode and owner of {} are not kept: {}", dir, e.getMessage());
      return null;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
