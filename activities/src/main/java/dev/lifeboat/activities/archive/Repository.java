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
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A backup repository on a local or external drive: {@code <root>/<set>/<source>/<UTC timestamp>.tar.gz}
 * with a manifest sidecar each and a {@code latest} pointer per source. Archives appear atomically (written
 * under a hidden partial name, fsynced, renamed), are never overwritten, and are checked on every read.
 *
 * <p>Failures a person must fix are {@link ActionException}s: {@code invalid} for references to things that
 * do not exist, {@code check} for empty sources, corrupt archives and refused restores. I/O errors are left
 * as {@link IOException} (worth retrying).
 */
public final class Repository {
  private final Path root;
  private final Clock clock;
  private final GzipMembers.Settings compression;

  public Repository(Path root) {
    this(root, Clock.systemUTC());
  }

  public Repository(Path root, Clock clock) {
    this(root, clock, GzipMembers.Settings.defaults());
  }

  /** With explicit compression settings (threads, chunk size); tests use it to compare and to inject failures. */
  Repository(Path root, Clock clock, GzipMembers.Settings compression) {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    this.compression = compression;
  }

  public Path root() {
    return root;
  }

  // ---------------------------------------------------------------- writing

  /** Archives the directory {@code dir}; includes and excludes are globs relative to it. */
  public BackupResult writeFromDirectory(String set, String source, Path dir, List<String> includes,
      List<String> excludes, ProgressListener listener) throws IOException {
    checkSegment(set, "set");
    checkSegment(source, "source");
    if (!Files.exists(dir)) {
      throw ActionException.invalid("source directory " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw ActionException.invalid("source " + dir + " is not a directory");
    }
    SourceScan.Result scan = SourceScan.scan(dir, includes, excludes);
    if (scan.files() == 0) {
      throw emptySource(dir.toString(), scan.items().size(),
          !(includes == null || includes.isEmpty()) || !(excludes == null || excludes.isEmpty()));
    }
    Progress progress = new Progress(listener, scan.bytes());
    List<PathNote> skipped = new ArrayList<>(scan.skipped());
    List<PathNote> changed = new ArrayList<>();
    return publish(set, source, progress, skipped, changed, writer -> {
      // A hardlinked file that could not be read: its next name carries the data, later names link to that.
      Map<String, String> dataMovedTo = new HashMap<>();
      for (SourceScan.Found scanned : scan.items()) {
        SourceScan.Found found = scanned;
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
        InputStream in;
        try {
          in = Files.newInputStream(found.file(), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
          skipped.add(new PathNote(item.path(), SourceScan.reason(e)));
          dataMovedTo.putIfAbsent(unreadFirst != null ? unreadFirst : item.path(), null);
          continue;
        }
        long read;
        try (in) {
          read = writer.add(item, in);
        }
        SourceScan.change(found, read).ifPresent(changed::add);
        if (unreadFirst != null) {
          dataMovedTo.put(unreadFirst, item.path());
        }
      }
    }, dir.toString());
  }

  /**
   * Re-packs a plain tar stream (e.g. {@code tar cf - .} run in a pod) into an archive with per-file digests.
   * Names keep their form apart from a leading {@code ./}; the root entry {@code ./} is dropped. Devices
   * and fifos are skipped and listed in the result. The stream is read to its end-of-archive but not closed.
   */
  public BackupResult writeFromTar(String set, String source, InputStream tarStream, ProgressListener listener)
      throws IOException {
    checkSegment(set, "set");
    checkSegment(source, "source");
    Progress progress = new Progress(listener, 0);
    List<PathNote> skipped = new ArrayList<>();
    TarArchiveInputStream in = new TarArchiveInputStream(tarStream, StandardCharsets.UTF_8.name());
    return publish(set, source, progress, skipped, new ArrayList<>(), writer -> {
      TarArchiveEntry te;
      while ((te = in.getNextEntry()) != null) {
        String path = ArchiveReader.pathOf(te);
        if (path.isEmpty()) {
          continue;
        }
        boolean special = te.isFIFO() || te.isCharacterDevice() || te.isBlockDevice();
        EntryType type = special ? null : ArchiveReader.typeOf(te);
        if (type == null) {
          skipped.add(new PathNote(path, te.isFIFO() ? "fifo" : te.isCharacterDevice() || te.isBlockDevice()
              ? "device" : "not a file, directory or symlink"));
          continue;
        }
        String link = switch (type) {
          case SYMLINK -> te.getLinkName();
          case HARDLINK -> ArchiveReader.normalizeName(te.getLinkName());
          default -> null;
        };
        long size = type != EntryType.FILE ? 0 : te.isSparse() ? te.getRealSize() : te.getSize();
        writer.add(new ArchiveWriter.Item(path, type, te.getMode(), te.getLastModifiedTime().toInstant(), size, link,
            te.getLongUserId(), te.getLongGroupId(), blankToNull(te.getUserName()), blankToNull(te.getGroupName())),
            in);
      }
    }, "the tar stream");
  }

  /** Marks an archive as pinned: prune never deletes it. */
  public void pin(ArchiveRef ref) throws IOException {
    writeAtomically(ref.pinPath(), ("pinned " + clock.instant() + "\n").getBytes(StandardCharsets.UTF_8));
  }

  public void unpin(ArchiveRef ref) throws IOException {
    Files.deleteIfExists(ref.pinPath());
  }

  // ---------------------------------------------------------------- finding

  /**
   * Finds an archive. {@code archive} may be null (the source's latest), an archive file name (with or without
   * {@code .tar.gz}), or an absolute path to an archive anywhere (then set and source may be null and are
   * taken from the path's directories).
   */
  public ArchiveRef resolve(String set, String source, String archive) {
    if (archive != null && !archive.isBlank() && Path.of(archive).isAbsolute()) {
      Path p = Path.of(archive).normalize();
      if (!Files.isRegularFile(p)) {
        throw ActionException.invalid("archive " + p + " does not exist");
      }
      Path sourceDir = p.getParent();
      Path setDir = sourceDir == null ? null : sourceDir.getParent();
      String src = source != null ? source : sourceDir == null || sourceDir.getFileName() == null
          ? "" : sourceDir.getFileName().toString();
      String st = set != null ? set : setDir == null || setDir.getFileName() == null
          ? "" : setDir.getFileName().toString();
      return new ArchiveRef(st, src, p.getFileName().toString(), p);
    }
    Path dir = sourceDir(set, source);
    if (!Files.isDirectory(dir)) {
      throw ActionException.invalid("no archives for set '" + set + "', source '" + source + "' (" + dir
          + " does not exist)");
    }
    String name;
    if (archive == null || archive.isBlank()) {
      name = latestName(dir).orElseThrow(() -> ActionException.invalid(
          "set '" + set + "', source '" + source + "' has no archives yet (" + dir + ")"));
    } else {
      name = archive.endsWith(ArchiveNames.ARCHIVE_SUFFIX) ? archive : archive + ArchiveNames.ARCHIVE_SUFFIX;
      if (!ArchiveNames.isArchive(name)) {
        throw ActionException.invalid("'" + archive + "' is not an archive name (like 20261122T001500Z.tar.gz)"
            + " nor an absolute path");
      }
    }
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw ActionException.invalid("archive '" + name + "' of set '" + set + "', source '" + source
          + "' does not exist (" + p + ")");
    }
    return new ArchiveRef(set, source, name, p);
  }

  /** Archives, oldest first within each source; partial files and archives without a manifest are left out. */
  public List<ArchiveInfo> list(String set, String source) throws IOException {
    List<ArchiveInfo> out = new ArrayList<>();
    List<String> sets = set != null ? List.of(checkSegment(set, "set")) : subdirectories(root);
    for (String s : sets) {
      List<String> sources = source != null ? List.of(checkSegment(source, "source"))
          : subdirectories(root.resolve(s));
      for (String src : sources) {
        out.addAll(listSource(s, src));
      }
    }
    return out;
  }

  /** Checks a set or source name the way the repository will; throws ActionException naming {@code what}. */
  public static String checkName(String value, String what) {
    return checkSegment(value, what);
  }

  /** The manifest of an archive; a missing or unreadable one is a failed check. */
  public Manifest manifest(ArchiveRef ref) {
    Path m = ref.manifestPath();
    if (!Files.isRegularFile(m)) {
      throw ActionException.check("archive " + ref.path() + " has no manifest (expected " + m + ")");
    }
    try {
      return Json.MAPPER.readValue(m.toFile(), Manifest.class);
    } catch (IOException e) {
      throw ActionException.check("manifest " + m + " cannot be read: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------- checking and reading

  /**
   * Re-reads the whole archive: every entry against the manifest (name, type, size, link, SHA-256), the
   * entry count, and the SHA-256 of the archive file. Records {@code <timestamp>.verified.json} on success.
   */
  public VerifyResult verify(ArchiveRef ref, ProgressListener listener) throws IOException {
    Manifest m = manifest(ref);
    Progress progress = new Progress(listener, m.totals().bytes());
    List<Entry> entries = m.entries();
    int i = 0;
    try (ArchiveReader reader = open(ref)) {
      byte[] buffer = new byte[64 * 1024];
      TarArchiveEntry te;
      while ((te = next(reader, ref, entries, i)) != null) {
        Entry e = expect(ref, entries, i, te);
        i++;
        if (e.type() == EntryType.FILE) {
          String sha = digest(reader.data(), buffer, progress, ref, e);
          if (!sha.equals(e.sha256())) {
            throw ActionException.check("archive " + ref.name() + ": entry '" + e.path() + "' has sha256 " + sha
                + " but the manifest says " + e.sha256());
          }
          progress.file();
        }
      }
      expectEnd(ref, entries, i);
      checkArchiveDigest(ref, m, drain(reader, ref));
    }
    Instant now = clock.instant();
    Verified record = new Verified(now, m.totals().entries(), m.totals().files(), m.totals().bytes(),
        m.archiveSha256());
    writeAtomically(ref.verifiedPath(), Json.MAPPER.writeValueAsBytes(record));
    progress.report();
    return new VerifyResult(ref, m.totals().entries(), m.totals().files(), m.totals().bytes(), now);
  }

  /**
   * Extracts an archive into {@code target} (created if missing); see {@link Restorer}. A non-empty target is
   * refused unless {@code clean} (or it holds an interrupted restore); targets that hold the repository or the
   * running Lifeboat are refused.
   */
  public RestoreResult restoreToDirectory(ArchiveRef ref, Path target, boolean clean, ProgressListener listener)
      throws IOException {
    return new Restorer(this, ref, listener).restore(target, clean);
  }

  /**
   * Writes one regular file of an archive to {@code out} (not closed), reading only that file's gzip member at
   * the offset the manifest records; a hardlink gives its target's content. The data is checked against the
   * manifest's SHA-256 as it goes out: a mismatch fails the call after the bytes went out.
   */
  public long readFile(ArchiveRef ref, String path, OutputStream out) throws IOException {
    Manifest m = manifest(ref);
    String wanted = ArchiveReader.normalizeName(path);
    Entry e = m.entries().stream().filter(x -> ArchiveReader.normalizeName(x.path()).equals(wanted)).findFirst()
        .orElseThrow(() -> ActionException.invalid("archive " + ref.name() + " has no entry '" + path + "'"));
    if (e.type() == EntryType.HARDLINK) {
      String target = ArchiveReader.normalizeName(e.linkTarget());
      e = m.entries().stream().filter(x -> x.type() == EntryType.FILE
          && ArchiveReader.normalizeName(x.path()).equals(target)).findFirst()
          .orElseThrow(() -> ActionException.check("archive " + ref.name() + ": hardlink '" + path
              + "' points to '" + target + "', which the manifest does not list as a file"));
    }
    if (e.type() != EntryType.FILE) {
      throw ActionException.invalid("'" + path + "' in archive " + ref.name() + " is a " + e.type().name()
          .toLowerCase(java.util.Locale.ROOT) + ", not a file");
    }
    long n = 0;
    java.security.MessageDigest md = Digests.sha256();
    try (TarArchiveInputStream tar = ArchiveReader.member(ref.path(), e)) {
      TarArchiveEntry te = tar.getNextEntry();
      if (te == null) {
        throw ActionException.check("archive " + ref.name() + ": no entry at the offset the manifest gives for '"
            + e.path() + "'");
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
      if (isOwnStreamFailure(ex)) {
        throw ActionException.check("archive " + ref.name() + " is corrupt in entry '" + e.path() + "': "
            + ex.getMessage());
      }
      throw ex;
    }
    String sha = Digests.hex(md.digest());
    if (!sha.equals(e.sha256())) {
      throw ActionException.check("archive " + ref.name() + ": entry '" + e.path() + "' has sha256 " + sha
          + " but the manifest says " + e.sha256());
    }
    out.flush();
    return n;
  }

  /**
   * Writes the archive as a plain, uncompressed tar stream (for {@code tar xf -}); {@code out} is not closed.
   * The archive checksum is checked at the end: a mismatch fails the call after the bytes went out.
   */
  public long copyAsTar(ArchiveRef ref, OutputStream out) throws IOException {
    Manifest m = manifest(ref);
    try (ArchiveReader reader = open(ref)) {
      long n;
      try {
        n = reader.plainTar().transferTo(out);
      } catch (IOException e) {
        if (isOwnStreamFailure(e)) {
          throw ActionException.check("archive " + ref.name() + " is corrupt: " + e.getMessage());
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
   * Deletes the archives of one source that no rule keeps; kept are the newest {@code keepLast}, those within
   * {@code keepWithin}, pinned ones and the newest verified one. Sidecars go with their archive; {@code latest}
   * is moved to the newest remaining archive.
   */
  public PruneResult prune(String set, String source, RetentionPolicy policy) throws IOException {
    Path dir = sourceDir(set, source);
    if (!Files.isDirectory(dir)) {
      throw ActionException.invalid("no archives for set '" + set + "', source '" + source + "' (" + dir
          + " does not exist)");
    }
    List<ArchiveInfo> all = listSource(set, source);
    Map<String, List<String>> reasons = new LinkedHashMap<>();
    all.forEach(a -> reasons.put(a.name(), new ArrayList<>()));
    policy.last().ifPresent(n -> all.subList(Math.max(0, all.size() - n), all.size())
        .forEach(a -> reasons.get(a.name()).add("keepLast")));
    Instant now = clock.instant();
    policy.within().ifPresent(d -> all.stream().filter(a -> !a.createdAt().isBefore(now.minus(d)))
        .forEach(a -> reasons.get(a.name()).add("keepWithin")));
    all.stream().filter(ArchiveInfo::pinned).forEach(a -> reasons.get(a.name()).add("pinned"));
    all.stream().filter(ArchiveInfo::verified).max(Comparator.comparing(ArchiveInfo::name))
        .ifPresent(a -> reasons.get(a.name()).add("newestVerified"));

    List<String> deleted = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    Map<String, List<String>> keptBecause = new LinkedHashMap<>();
    for (ArchiveInfo a : all) {
      List<String> why = reasons.get(a.name());
      if (why.isEmpty()) {
        // The archive first: a prune that dies halfway leaves sidecars without archive, which nothing lists.
        Files.deleteIfExists(a.path());
        ArchiveRef ref = a.ref();
        Files.deleteIfExists(ref.manifestPath());
        Files.deleteIfExists(ref.verifiedPath());
        deleted.add(a.name());
      } else {
        kept.add(a.name());
        keptBecause.put(a.name(), List.copyOf(why));
      }
    }
    if (!deleted.isEmpty()) {
      Optional<String> current = readLatest(dir);
      if (current.isEmpty() || deleted.contains(current.get())) {
        if (kept.isEmpty()) {
          Files.deleteIfExists(dir.resolve(ArchiveNames.LATEST));
        } else {
          writeLatest(dir, kept.get(kept.size() - 1));
        }
      }
      fsyncDirectory(dir);
    }
    return new PruneResult(set, source, deleted, kept, keptBecause);
  }

  // ---------------------------------------------------------------- internals

  /** Writes one archive body into a reserved partial file and publishes it with its manifest. */
  private BackupResult publish(String set, String source, Progress progress, List<PathNote> skipped,
      List<PathNote> changed, Body body, String what) throws IOException {
    Path dir = sourceDir(set, source);
    Files.createDirectories(dir);
    Instant created = clock.instant();
    String name = reserveName(dir, created);
    String stem = ArchiveNames.stem(name);
    Path partial = dir.resolve(ArchiveNames.partial(name));
    Path manifestPath = dir.resolve(stem + ArchiveNames.MANIFEST_SUFFIX);
    Path archivePath = dir.resolve(name);
    boolean manifestWritten = false;
    boolean published = false;
    try {
      Manifest manifest;
      try (ArchiveWriter writer = new ArchiveWriter(partial, progress, compression)) {
        body.write(writer);
        if (writer.files() == 0) {
          throw emptySource(what, writer.entries().size(), false);
        }
        writer.finish();
        manifest = new Manifest(Manifest.FORMAT_VERSION, set, source, name, created, Manifest.COMPRESSION,
            writer.entries(), writer.totals(), writer.archiveSha256());
      }
      writeAtomically(manifestPath, Json.MAPPER.writeValueAsBytes(manifest));
      manifestWritten = true;
      Files.move(partial, archivePath, StandardCopyOption.ATOMIC_MOVE);
      published = true;
      fsyncDirectory(dir);
      writeLatest(dir, name);
      progress.report();
      Manifest.Totals t = manifest.totals();
      return new BackupResult(new ArchiveRef(set, source, name, archivePath), t.entries(), t.files(), t.bytes(),
          t.compressedBytes(), manifest.archiveSha256(), skipped, changed);
    } finally {
      if (!published) {
        Files.deleteIfExists(partial);
        if (manifestWritten) {
          Files.deleteIfExists(manifestPath);
        }
      }
    }
  }

  /** What a publish writes into the archive. */
  private interface Body {
    void write(ArchiveWriter writer) throws IOException;
  }

  /** Claims the first free timestamp name at or after {@code at} by creating its partial file. */
  private static String reserveName(Path dir, Instant at) throws IOException {
    for (int i = 0; i < 100_000; i++) {
      String name = ArchiveNames.archiveName(at.plusSeconds(i));
      String stem = ArchiveNames.stem(name);
      if (Files.exists(dir.resolve(name)) || Files.exists(dir.resolve(stem + ArchiveNames.MANIFEST_SUFFIX))) {
        continue;
      }
      try {
        Files.createFile(dir.resolve(ArchiveNames.partial(name)));
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
      names = files.map(p -> p.getFileName().toString()).filter(ArchiveNames::isArchive).sorted().toList();
    }
    List<ArchiveInfo> out = new ArrayList<>();
    for (String name : names) {
      ArchiveRef ref = new ArchiveRef(set, source, name, dir.resolve(name));
      Manifest m;
      try {
        m = Json.MAPPER.readValue(ref.manifestPath().toFile(), Manifest.class);
      } catch (IOException e) {
        continue;
      }
      out.add(new ArchiveInfo(set, source, name, ref.path(), m.created(), Files.size(ref.path()),
          m.totals().files(), m.totals().bytes(), isVerified(ref, m), Files.exists(ref.pinPath())));
    }
    return out;
  }

  private static boolean isVerified(ArchiveRef ref, Manifest m) {
    try {
      Verified v = Json.MAPPER.readValue(ref.verifiedPath().toFile(), Verified.class);
      return m.archiveSha256() != null && m.archiveSha256().equals(v.archiveSha256());
    } catch (IOException e) {
      return false;
    }
  }

  /** The sidecar a successful verify leaves. */
  record Verified(Instant verifiedAt, long entries, long files, long bytes, String archiveSha256) { }

  private Optional<String> latestName(Path dir) throws ActionException {
    Optional<String> pointer = readLatest(dir);
    if (pointer.isPresent() && ArchiveNames.isArchive(pointer.get())
        && Files.isRegularFile(dir.resolve(pointer.get()))) {
      return pointer;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(ArchiveNames::isArchive)
          .filter(n -> Files.isRegularFile(dir.resolve(ArchiveNames.stem(n) + ArchiveNames.MANIFEST_SUFFIX)))
          .max(Comparator.naturalOrder());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> readLatest(Path dir) {
    try {
      return Optional.of(Files.readString(dir.resolve(ArchiveNames.LATEST)).trim()).filter(s -> !s.isEmpty());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void writeLatest(Path dir, String name) throws IOException {
    writeAtomically(dir.resolve(ArchiveNames.LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes under a partial name, fsyncs, renames: readers see the old content or the new, never half. */
  static void writeAtomically(Path target, byte[] data) throws IOException {
    Path tmp = target.resolveSibling(ArchiveNames.partial(target.getFileName().toString()));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(target.getParent());
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename is still atomic there.
    }
  }

  private Path sourceDir(String set, String source) {
    return root.resolve(checkSegment(set, "set")).resolve(checkSegment(source, "source"));
  }

  private static List<String> subdirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".")).sorted().toList();
    }
  }

  private static ActionException emptySource(String what, long entries, boolean filtered) {
    return ActionException.check("source " + what + " holds no regular files" + (entries > 0 ? " (only " + entries
        + " directories or links)" : "") + (filtered ? " after includes/excludes" : "")
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
      throw ActionException.check("archive " + ref.name() + " is corrupt at its start: " + e.getMessage());
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
      throw ActionException.check("archive " + ref.name() + ": entry '" + path + "' is not in the manifest (which"
          + " lists " + entries.size() + " entries)");
    }
    Entry e = entries.get(i);
    String where = "archive " + ref.name() + ": entry #" + (i + 1) + " ";
    if (!stripSlash(path).equals(stripSlash(ArchiveReader.normalizeName(e.path())))) {
      throw ActionException.check(where + "is '" + path + "' but the manifest says '" + e.path() + "'");
    }
    EntryType type = ArchiveReader.typeOf(te);
    if (type != e.type()) {
      throw ActionException.check(where + "'" + e.path() + "' is a " + type + " but the manifest says " + e.type());
    }
    if (type == EntryType.FILE && te.getSize() != e.size()) {
      throw ActionException.check(where + "'" + e.path() + "' has " + te.getSize() + " bytes but the manifest says "
          + e.size());
    }
    if (type == EntryType.SYMLINK || type == EntryType.HARDLINK) {
      String link = type == EntryType.HARDLINK ? ArchiveReader.normalizeName(te.getLinkName()) : te.getLinkName();
      String expected = type == EntryType.HARDLINK ? ArchiveReader.normalizeName(e.linkTarget()) : e.linkTarget();
      if (!stripSlash(link).equals(stripSlash(expected))) {
        throw ActionException.check(where + "'" + e.path() + "' links to '" + link + "' but the manifest says '"
            + e.linkTarget() + "'");
      }
    }
    return e;
  }

  static void expectEnd(ArchiveRef ref, List<Entry> entries, int i) {
    if (i != entries.size()) {
      throw ActionException.check("archive " + ref.name() + " ends after " + i + " entries but the manifest lists "
          + entries.size() + "; first missing: '" + entries.get(i).path() + "'");
    }
  }

  static String drain(ArchiveReader reader, ArchiveRef ref) throws IOException {
    try {
      return reader.drainAndDigest();
    } catch (IOException e) {
      if (isOwnStreamFailure(e)) {
        throw ActionException.check("archive " + ref.name() + " is corrupt after its last entry: " + e.getMessage());
      }
      throw e;
    }
  }

  static void checkArchiveDigest(ArchiveRef ref, Manifest m, String sha) {
    if (!sha.equals(m.archiveSha256())) {
      throw ActionException.check("archive " + ref.name() + ": the archive checksum differs from the manifest"
          + " (file sha256 " + sha + ", manifest " + m.archiveSha256() + ")");
    }
  }

  static String digest(InputStream in, byte[] buffer, Progress progress, ArchiveRef ref, Entry e) throws IOException {
    java.security.MessageDigest md = Digests.sha256();
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        md.update(buffer, 0, n);
        progress.bytes(n);
      }
    } catch (IOException ex) {
      if (isOwnStreamFailure(ex)) {
        throw ActionException.check("archive " + ref.name() + " is corrupt in entry '" + e.path() + "': "
            + ex.getMessage());
      }
      throw ex;
    }
    return Digests.hex(md.digest());
  }

  private static ActionException corrupt(ArchiveRef ref, List<Entry> entries, int i, IOException e) {
    String near = i < entries.size() ? "at entry '" + entries.get(i).path() + "'"
        + (i > 0 ? " (after '" + entries.get(i - 1).path() + "')" : "")
        : "after its last entry '" + (entries.isEmpty() ? "" : entries.get(entries.size() - 1).path()) + "'";
    return ActionException.check("archive " + ref.name() + " is corrupt " + near + ": " + e.getMessage());
  }

  /** Decoding failures (bad gzip, CRC, tar header) as opposed to the disk failing under us. */
  static boolean isOwnStreamFailure(IOException e) {
    return !(e instanceof java.nio.file.FileSystemException) && !(e instanceof java.io.InterruptedIOException);
  }

  private static String stripSlash(String s) {
    String out = s == null ? "" : s;
    while (out.startsWith("/")) {
      out = out.substring(1);
    }
    return out;
  }
}
