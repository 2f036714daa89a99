package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.ArchiveNames.checkSegment;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds archives: resolves a set/source/archive reference (confined to the repository and the
 * archive roots), lists archives with their state, follows the {@code latest} pointer to a good
 * archive, and reads manifests.
 */
final class Catalog {
  private final Path root;
  private final List<Path> archiveRoots;

  /**
   * The last few manifests read: one of a large tree is megabytes of JSON, and browsing or reading
   * single files asks for the same one again and again. Soft references: memory wins over speed.
   */
  private final java.util.Map<ManifestKey, java.lang.ref.SoftReference<Manifest>> manifests =
      new java.util.LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(
            java.util.Map.Entry<ManifestKey, java.lang.ref.SoftReference<Manifest>> eldest) {
          return size() > CACHED_MANIFESTS;
        }
      };

  private static final int CACHED_MANIFESTS = 4;

  /**
   * Manifest heads (no entries) by file, for listings: each is otherwise a pass over the whole
   * manifest, megabytes of JSON for a large tree, and every backup lists its source's archives. A
   * head is about a kilobyte.
   */
  private final java.util.Map<ManifestKey, Manifest> heads =
      new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<ManifestKey, Manifest> eldest) {
          return size() > CACHED_HEADS;
        }
      };

  private static final int CACHED_HEADS = 4096;

  private record ManifestKey(
      Path path, Object fileKey, long size, java.nio.file.attribute.FileTime modified) {
    // written out, as SourceScan.Stamp's: no method handles bootstrapped for a cold backup's
    // lookups
    @Override
    public boolean equals(Object o) {
      return o instanceof ManifestKey k
          && size == k.size
          && path.equals(k.path)
          && java.util.Objects.equals(fileKey, k.fileKey)
          && java.util.Objects.equals(modified, k.modified);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(path, fileKey, size, modified);
    }
  }

  /** Both normalized absolute paths. */
  Catalog(Path root, List<Path> archiveRoots) {
    this.root = root;
    this.archiveRoots = archiveRoots;
  }

  /** Parses {@code LIFEBOAT_ARCHIVE_ROOTS}; see {@link Repository#archiveRoots}. */
  static List<Path> archiveRoots(String colonSeparated) {
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

  /**
   * Finds an archive. {@code archive} may be null (the source's latest: the newest archive that is
   * not damaged), an archive file name (with or without {@code .tar.gz}), or an absolute path to an
   * archive inside the repository or an archive root. Inside the repository the path's folders are
   * its set and source, whatever was given; in an archive root, whose layout is the user's, a given
   * set and source name it and the path's folders stand in for those not given.
   */
  ArchiveRef resolve(String set, String source, String archive) {
    if (archive != null && !archive.isBlank() && Path.of(archive).isAbsolute()) {
      Path p = confine(Path.of(archive).normalize());
      if (p.getFileName() == null || !ArchiveNames.isArchive(p.getFileName().toString())) {
        // a manifest, state record or any other file is no archive: nothing is read or recorded
        throw ActionException.invalid(
            "archive "
                + archive
                + " is not an archive file (<UTC time>.tar.gz or .tar.zst, as the repository"
                + " names them)");
      }
      Path sourceDir = p.getParent();
      Path setDir = sourceDir == null ? null : sourceDir.getParent();
      String pathSource =
          sourceDir == null || sourceDir.getFileName() == null
              ? ""
              : sourceDir.getFileName().toString();
      String pathSet =
          setDir == null || setDir.getFileName() == null ? "" : setDir.getFileName().toString();
      ArchiveRef byPath = new ArchiveRef(pathSet, pathSource, p.getFileName().toString(), p);
      if (insideRoot(byPath)) {
        // the repository's folders name its set and source: a set or source given beside the path
        // (a runbook's default) would file drill records and move the latest pointer of another
        return byPath;
      }
      return new ArchiveRef(
          set != null ? set : pathSet,
          source != null ? source : pathSource,
          p.getFileName().toString(),
          p);
    }
    Path dir = existingSourceDir(set, source);
    String name;
    if (archive == null || archive.isBlank() || archive.equals("latest")) {
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
                              + noGoodArchive(set, source)
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
      Path manifest = dir.resolve(ArchiveNames.stem(name) + ArchiveNames.MANIFEST_SUFFIX);
      throw ActionException.invalid(
          "archive '"
              + name
              + "' of set '"
              + set
              + "', source '"
              + source
              + "' does not exist ("
              + p
              + (Files.exists(manifest)
                  ? "; its manifest " + manifest + " is there: the archive file went missing"
                  : "")
              + ")");
    }
    return new ArchiveRef(set, source, name, p);
  }

  /**
   * An absolute archive path must lie in the repository or an archive root, symlinks resolved: an
   * {@code archive} parameter must not make Lifeboat read (and restore) an arbitrary file.
   */
  Path confine(Path p) {
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
  List<ArchiveInfo> list(String set, String source) throws IOException {
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

  /** The manifest of an archive; a missing or unreadable one is a failed check. */
  Manifest manifest(ArchiveRef ref) {
    Path m = ref.manifestPath();
    if (!Files.isRegularFile(m)) {
      throw new DamagedArchive(
          ref, "archive " + ref.path() + " has no manifest (expected " + m + ")");
    }
    try {
      ManifestKey key = key(m);
      synchronized (manifests) {
        java.lang.ref.SoftReference<Manifest> cached = manifests.get(key);
        Manifest known = cached == null ? null : cached.get();
        if (known != null) {
          return known;
        }
      }
      Manifest read = ManifestCache.read(m, ref.name());
      if (read == null) {
        read = ManifestParser.read(m.toFile());
      }
      String problem = problem(ref, read);
      if (problem != null) {
        throw new DamagedArchive(ref, "manifest " + m + " is damaged: " + problem);
      }
      synchronized (manifests) {
        manifests.put(key, new java.lang.ref.SoftReference<>(read));
      }
      return read;
    } catch (IOException e) {
      throw new DamagedArchive(
          ref, "manifest " + m + " cannot be read: " + ManifestCheck.readFailure(e));
    }
  }

  /** What is wrong with {@code m} as the manifest of the archive at {@code ref}, or null. */
  private String problem(ArchiveRef ref, Manifest m) {
    String problem = ManifestCheck.problem(m);
    return problem != null ? problem : misplaced(ref, m);
  }

  /**
   * Why {@code m} is not the manifest of the archive at {@code ref}, or null when it is: it names
   * another archive file, or (inside the repository, whose folders are set and source) another set
   * or source. An encrypted offsite copy does not tie a file's content to its name: a swapped
   * archive and manifest pair was fetched and restored as another source's.
   */
  String misplaced(ArchiveRef ref, Manifest m) {
    if (m.archive() != null && !m.archive().equals(ref.name())) {
      return "it describes archive " + m.archive() + ", not " + ref.name();
    }
    if (insideRoot(ref)
        && m.set() != null
        && m.source() != null
        && !(m.set().equals(ref.set()) && m.source().equals(ref.source()))) {
      return "it describes set '"
          + m.set()
          + "', source '"
          + m.source()
          + "', but lies in "
          + ref.set()
          + "/"
          + ref.source();
    }
    return null;
  }

  /** The source's folder, which must exist: a clear error names the set and source otherwise. */
  Path existingSourceDir(String set, String source) {
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
    return dir;
  }

  /**
   * A manifest without its entries: what a listing needs. The entries are skipped as tokens, not
   * bound to objects: a listing of a month of daily archives of a large tree would otherwise build
   * millions of entries only to count them.
   */
  private static ManifestKey key(Path manifest) throws IOException {
    java.nio.file.attribute.BasicFileAttributes a =
        Files.readAttributes(manifest, java.nio.file.attribute.BasicFileAttributes.class);
    // manifests are replaced by rename, never rewritten in place: a new file is a new key
    return new ManifestKey(manifest, a.fileKey(), a.size(), a.lastModifiedTime());
  }

  /**
   * {@link #summary} of the manifest, remembered: or the whole manifest, when it was read already
   * (its entries are not looked at).
   */
  private Manifest head(Path manifest) throws IOException {
    return head(manifest, null);
  }

  /**
   * As {@link #head(Path)}; for the archive at {@code ref} (null: unknown) the source's binary copy
   * of its newest manifest is read instead when it is this manifest's copy, and kept as that
   * manifest once checked as {@link #manifest} checks one. Finding the newest archive (what every
   * restore, verify and incremental backup starts with) otherwise skipped through the whole JSON
   * for the few fields after its entries (~0.1 s in a fresh JVM for 19,000 entries) and then read
   * the copy anyway.
   */
  private Manifest head(Path manifest, ArchiveRef ref) throws IOException {
    ManifestKey key = key(manifest);
    synchronized (manifests) {
      java.lang.ref.SoftReference<Manifest> cached = manifests.get(key);
      Manifest known = cached == null ? null : cached.get();
      if (known != null) {
        return known;
      }
    }
    synchronized (heads) {
      Manifest known = heads.get(key);
      if (known != null) {
        return known;
      }
    }
    Manifest copy = ref == null ? null : ManifestCache.read(manifest, ref.name());
    if (copy != null && problem(ref, copy) == null) {
      synchronized (manifests) {
        manifests.put(key, new java.lang.ref.SoftReference<>(copy));
      }
      return copy;
    }
    Manifest read = summary(manifest);
    synchronized (heads) {
      heads.put(key, read);
    }
    return read;
  }

  static Manifest summary(Path manifest) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.createParser(manifest.toFile())) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        throw new com.fasterxml.jackson.core.JsonParseException(p, "a manifest is a JSON object");
      }
      com.fasterxml.jackson.databind.node.ObjectNode head = Json.MAPPER.createObjectNode();
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("entries")) {
          p.skipChildren();
          head.set(field, Json.MAPPER.createArrayNode());
        } else {
          head.set(field, Json.MAPPER.readTree(p));
        }
      }
      return Json.MAPPER.treeToValue(head, Manifest.class);
    }
  }

  List<ArchiveInfo> listSource(String set, String source) throws IOException {
    Path dir = root.resolve(set).resolve(source);
    List<String> files = fileNames(dir);
    List<ArchiveInfo> out = new ArrayList<>();
    for (String name : files.stream().filter(ArchiveNames::isArchive).toList()) {
      info(set, source, dir, name).ifPresent(out::add);
    }
    for (String stem : orphanRecords(files)) {
      missing(set, source, dir, stem).ifPresent(out::add);
    }
    out.sort(Comparator.comparing(ArchiveInfo::name));
    return out;
  }

  /** The names of the files in the folder, sorted; none when it does not exist. */
  private static List<String> fileNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** What records an archive ({@link ArchiveStates#lostBackup} judges whether it was a loss). */
  private static final List<String> RECORDS =
      List.of(
          ArchiveNames.MANIFEST_SUFFIX,
          ArchiveNames.STATE_SUFFIX,
          ArchiveNames.VERIFIED_SUFFIX,
          ArchiveNames.DRILL_SUFFIX,
          ArchiveNames.PIN_SUFFIX);

  /** The stems of records without an archive beside them, in order. */
  private static List<String> orphanRecords(List<String> files) {
    java.util.Set<String> present = new java.util.HashSet<>(files);
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (String n : files) {
      for (String suffix : RECORDS) {
        if (!n.endsWith(suffix)) {
          continue;
        }
        String stem = n.substring(0, n.length() - suffix.length());
        if (ArchiveNames.isStem(stem)
            && java.util.Arrays.stream(Compression.values())
                .noneMatch(c -> present.contains(stem + c.suffix()))) {
          out.add(stem);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * An archive whose file is gone while its records are there, listed damaged and {@code missing}
   * when it was published ({@link ArchiveStates#lostBackup}): before, it just dropped out of the
   * listing, latest moved to an older archive without a word, and the next backup removed its
   * records as leftovers. Its manifest may be gone too (a state record or a pin alone still says a
   * backup was there). Empty for what a writer that died or a prune left (the next backup removes
   * it), or when it went while we looked.
   */
  private Optional<ArchiveInfo> missing(String set, String source, Path dir, String stem) {
    Path manifestPath = dir.resolve(stem + ArchiveNames.MANIFEST_SUFFIX);
    Manifest m = null;
    String manifestProblem = null;
    boolean manifest = Files.exists(manifestPath, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if (manifest) {
      try {
        m = head(manifestPath);
      } catch (NoSuchFileException e) {
        manifest = false;
      } catch (IOException e) {
        manifestProblem = ManifestCheck.readFailure(e);
      }
    }
    // the manifest names its archive; a gzip one where it cannot say
    String name =
        m != null
                && m.archive() != null
                && ArchiveNames.isArchive(m.archive())
                && ArchiveNames.stem(m.archive()).equals(stem)
            ? m.archive()
            : stem + ArchiveNames.ARCHIVE_SUFFIX;
    ArchiveRef ref = new ArchiveRef(set, source, name, dir.resolve(name));
    String lost = ArchiveStates.lostBackup(ref);
    if (lost == null || ArchiveNames.archiveExists(dir, stem)) {
      return Optional.empty();
    }
    Instant created =
        m != null && m.created() != null
            ? m.created()
            : Instant.from(ArchiveNames.STAMP.parse(stem));
    boolean totals = m != null && m.totals() != null;
    String left =
        manifest
            ? "its manifest"
                + (manifestProblem == null ? "" : " (unreadable: " + manifestProblem + ")")
                + " and records are all that is left"
            : "its manifest is gone too, and "
                + String.join(", ", records(dir, stem))
                + " are all that is left";
    ArchiveState state =
        ArchiveState.damaged(
            null,
            "list",
            "archive file "
                + ref.path()
                + " is missing ("
                + lost
                + "): "
                + left
                + " (deleted or lost: by hand, a disk error, a sync tool); fetch it again from the"
                + " offsite copy after moving "
                + stem
                + ".manifest.json and .state.json aside, or delete "
                + stem
                + ".* to forget it");
    return Optional.of(
        new ArchiveInfo(
            set,
            source,
            name,
            ref.path(),
            created,
            0,
            totals ? m.totals().files() : 0,
            totals ? m.totals().bytes() : 0,
            state,
            Files.exists(ref.pinPath()),
            true,
            m == null ? null : m.unreadable()));
  }

  /** The names of the records of {@code stem} that are there. */
  private static List<String> records(Path dir, String stem) {
    List<String> out = new ArrayList<>();
    for (String suffix : RECORDS) {
      if (Files.exists(dir.resolve(stem + suffix), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        out.add(stem + suffix);
      }
    }
    return out;
  }

  /** The archives' file names in the folder, oldest first; none when it does not exist. */
  private static List<String> archiveNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(ArchiveNames::isArchive)
          .sorted()
          .toList();
    }
  }

  /** One archive as a listing shows it; empty when it was pruned while we looked. */
  private Optional<ArchiveInfo> info(String set, String source, Path dir, String name)
      throws IOException {
    ArchiveRef ref = new ArchiveRef(set, source, name, dir.resolve(name));
    Manifest m = null;
    String manifestError = null;
    if (!Files.isRegularFile(ref.manifestPath())) {
      manifestError = "archive " + name + " has no manifest (expected " + ref.manifestPath() + ")";
    } else {
      try {
        m = head(ref.manifestPath(), ref);
        String misplaced = m.totals() == null ? null : misplaced(ref, m);
        if (misplaced == null) {
          misplaced = ManifestCheck.unreadableProblem(m);
        }
        if (m.totals() == null || misplaced != null) {
          manifestError =
              "manifest "
                  + ref.manifestPath()
                  + (misplaced == null ? " has no totals" : " is damaged: " + misplaced);
          m = null;
        }
      } catch (IOException e) {
        manifestError =
            "manifest " + ref.manifestPath() + " cannot be read: " + ManifestCheck.readFailure(e);
      }
    }
    java.nio.file.attribute.BasicFileAttributes file;
    try {
      // one stat for the size and for the state's check of the modified time
      file = Files.readAttributes(ref.path(), java.nio.file.attribute.BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    long size = file.size();
    Instant created =
        m != null && m.created() != null
            ? m.created()
            : Instant.from(ArchiveNames.STAMP.parse(ArchiveNames.stem(name)));
    // Lifeboat publishes an archive whole and never changes it: one of another size than its
    // manifest says was cut short or replaced, whatever its last check found (a prune once kept
    // such a "verified" archive and deleted the good one before it)
    ArchiveState state =
        m != null && m.totals().compressedBytes() > 0 && size != m.totals().compressedBytes()
            ? ArchiveState.damaged(
                null,
                "list",
                "archive "
                    + name
                    + " is "
                    + size
                    + " bytes but its manifest says "
                    + m.totals().compressedBytes()
                    + ": cut short or replaced after it was written")
            : ArchiveStates.read(ref, m, manifestError, () -> file.lastModifiedTime().toInstant());
    return Optional.of(
        new ArchiveInfo(
            set,
            source,
            name,
            ref.path(),
            created,
            size,
            m == null ? 0 : m.totals().files(),
            m == null ? 0 : m.totals().bytes(),
            state,
            Files.exists(ref.pinPath()),
            false,
            m == null ? null : m.unreadable()));
  }

  /** The newest archive of a source that is not damaged (its manifest readable). */
  Optional<ArchiveInfo> newestGood(String set, String source) throws IOException {
    return listSource(set, source).stream()
        .filter(a -> !a.damaged())
        .max(Comparator.comparing(ArchiveInfo::name));
  }

  /**
   * The newest archive a verify or drill has passed and none has found damaged since: the only kind
   * a backup copies members from, so rot in an archive no one has checked is never carried on.
   */
  Optional<ArchiveInfo> newestVerified(String set, String source) throws IOException {
    Path dir = root.resolve(set).resolve(source);
    List<String> names = archiveNames(dir);
    // newest first, stopping at the first verified: usually the newest, the only head read
    for (int i = names.size() - 1; i >= 0; i--) {
      Optional<ArchiveInfo> info = info(set, source, dir, names.get(i));
      if (info.isPresent() && info.get().verified()) {
        return info;
      }
    }
    return Optional.empty();
  }

  /**
   * The newest archive whose state file records a verify (no manifest read), for reading its
   * manifest ahead of {@link #newestVerified}, whose listing then takes the head from it. Empty
   * when the newest with a state file is not verified, or an archive has none (an older format's).
   */
  Optional<ArchiveRef> newestRecordedVerified(String set, String source) throws IOException {
    Path dir = root.resolve(set).resolve(source);
    List<String> names = archiveNames(dir);
    for (int i = names.size() - 1; i >= 0; i--) {
      ArchiveRef ref = new ArchiveRef(set, source, names.get(i), dir.resolve(names.get(i)));
      ArchiveState s = ArchiveStates.recorded(ref);
      if (s == null) {
        return Optional.empty();
      }
      if (s.state() == ArchiveState.State.VERIFIED) {
        return Optional.of(ref);
      }
    }
    return Optional.empty();
  }

  /**
   * What a source without a good archive has instead, for the error: none yet, or only damaged and
   * missing ones (a source whose every archive went missing has archives, lost ones).
   */
  private String noGoodArchive(String set, String source) {
    List<ArchiveInfo> all;
    try {
      all = listSource(set, source);
    } catch (IOException e) {
      all = List.of();
    }
    if (all.isEmpty()) {
      return "archives yet";
    }
    long missing = all.stream().filter(ArchiveInfo::missing).count();
    return "undamaged archive (every archive failed a check"
        + (missing == 0 ? "" : " or went missing, " + missing + " of " + all.size())
        + "; see GET /api/backups)";
  }

  /**
   * The pointer while it names a good archive, else the newest good archive: never a damaged one.
   */
  Optional<String> latestName(String set, String source, Path dir) throws ActionException {
    try {
      // the newest good archive, whatever the pointer file says: a pointer left behind (a crash
      // or a full disk between an archive's rename and the pointer's write, an edit by hand)
      // restored an older archive while a newer good one was there
      return listSource(set, source).stream()
          .filter(a -> !a.damaged())
          .map(ArchiveInfo::name)
          .max(Comparator.naturalOrder());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  boolean insideRoot(ArchiveRef ref) {
    Path p = ref.path().toAbsolutePath().normalize();
    Path setsDir =
        p.getParent() == null || p.getParent().getParent() == null
            ? null
            : p.getParent().getParent().getParent();
    if (setsDir == null) {
      return false;
    }
    if (setsDir.equals(root)) {
      return true;
    }
    // an absolute archive path arrives resolved (confine): a repository reached through a link
    try {
      return Files.exists(root) && setsDir.equals(root.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  Path sourceDir(String set, String source) {
    return root.resolve(checkSegment(set, "set")).resolve(checkSegment(source, "source"));
  }

  static List<String> subdirectories(Path dir) throws IOException {
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

  /**
   * After {@code ref} was found damaged: if it was {@code latest} (or none is set), the pointer
   * moves to the newest good archive, or goes when there is none. Archives outside the repository
   * have no pointer.
   */
  void moveLatestOff(ArchiveRef ref) throws IOException {
    if (insideRoot(ref)) {
      Path dir = ref.path().getParent();
      Optional<String> pointer = RepositoryFiles.readLatest(dir);
      if (pointer.isEmpty() || pointer.get().equals(ref.name())) {
        Optional<ArchiveInfo> good = newestGood(ref.set(), ref.source());
        if (good.isPresent()) {
          RepositoryFiles.writeLatest(dir, good.get().name());
        } else {
          Files.deleteIfExists(dir.resolve(ArchiveNames.LATEST));
        }
      }
    }
  }
}
