package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.ArchiveWriter.Item;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The entries a directory backup will hold, in archive order (a directory before its contents,
 * names sorted), after includes and excludes. A file is included when includes are empty, when it
 * matches an include, or when one of its directories does; a directory is kept when it holds
 * something kept.
 */
final class SourceScan {
  /**
   * One entry to archive and the file it comes from; {@code stamp} is set for files. The file's
   * path is made when asked for, from its directory's (shared by the directory's entries) and its
   * name: a path held for each entry was the scan's biggest share of heap (~230 of ~530 bytes an
   * entry: the absolute path's bytes and the offsets of its names).
   */
  static final class Found {
    // one of the two is set: the directory holding the file, or (a name that may not be written
    // back from its text, an entry made afterwards) the file's own path
    private final Path dir;
    private final Path file;
    private final Item item;
    private final Stamp stamp;

    private Found(Path dir, Path file, Item item, Stamp stamp) {
      this.dir = dir;
      this.file = file;
      this.item = item;
      this.stamp = stamp;
    }

    Found(Path file, Item item, Stamp stamp) {
      this(null, file, item, stamp);
    }

    Found(Path file, Item item) {
      this(null, file, item, null);
    }

    /** The entry of {@code dir}'s child {@code child}, named by {@code item}'s last name. */
    static Found in(Path dir, Path child, Item item, Stamp stamp) {
      String name = child.getFileName().toString();
      return RawNames.mayBeLossy(name) || !item.path().endsWith(name)
          ? new Found(null, child, item, stamp)
          : new Found(dir, null, item, stamp);
    }

    Path file() {
      if (file != null) {
        return file;
      }
      String path = item.path();
      return dir.resolve(path.substring(path.lastIndexOf('/') + 1));
    }

    Item item() {
      return item;
    }

    Stamp stamp() {
      return stamp;
    }

    /** This entry as {@code other} names it, from the same file. */
    Found with(Item other) {
      return new Found(dir, file, other, null);
    }
  }

  /**
   * What a file looked like when scanned: a read that ends with another stamp saw the file change.
   */
  record Stamp(long size, Instant mtime, Instant ctime, long inode) {
    static Stamp of(FileStat s) {
      return new Stamp(s.size(), s.mtime(), s.ctime(), s.inode());
    }

    static Stamp read(Path file) throws IOException {
      return of(FileStat.of(file));
    }

    // written out: a record's own equals and hashCode are bootstrapped through method handles on
    // first use, classes spun and compiled while a cold backup compares its first stamps
    @Override
    public boolean equals(Object o) {
      return o instanceof Stamp s
          && size == s.size
          && inode == s.inode
          && java.util.Objects.equals(mtime, s.mtime)
          && java.util.Objects.equals(ctime, s.ctime);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(size, mtime, ctime, inode);
    }
  }

  /** {@code renamed}: entries whose name (or link target) is held escaped, see {@link RawNames}. */
  record Result(
      List<Found> items, List<PathNote> skipped, List<PathNote> renamed, long files, long bytes) {}

  private final Path root;
  private final List<PathMatcher> includes;
  private final List<PathMatcher> excludes;
  // listing and stat'ing run on several threads (one task per directory); what depends on the
  // order of the whole walk (which name of a hard-linked file holds its data, the notes' order,
  // the totals) is decided afterwards, walking the listings in archive order on one thread
  private final AtomicLong seen = new AtomicLong();
  private final AtomicLong heapNeeded = new AtomicLong();
  private final Map<List<Object>, String> firstLinkByInode = new HashMap<>();
  private final List<PathNote> skipped = new ArrayList<>();
  private final List<PathNote> renamed = new ArrayList<>();
  private long files;
  private long bytes;

  /**
   * Heap a backup needs per entry at its peak, the end of the scan of an incremental backup,
   * besides its path: the scanned entry (attributes; the file's path is made when asked for) and
   * the previous manifest's (attributes and digest as parsed, 8-16 bytes in the index of reusable
   * files). Measured by the smallest heap an incremental backup completes in (2026-12-02,
   * SerialGC): 200,000 files with 76-character paths in ~155 MB (~148 MB since the writer lets
   * spooled entries go), 100,000 with 226-character paths in ~110 MB, 2,000 files in under 20 MB:
   * ~590 bytes an entry and ~1.65 a character of its path. Budgeted with room: a count of entries
   * alone (896 bytes each before) let a tree of long or non-Latin paths run out of heap after the
   * check had passed it, which ends the server.
   */
  static final long HEAP_PER_ENTRY = 720;

  /**
   * Heap each byte of an entry's path costs at that peak: Java holds it twice then (the scanned
   * entry's and the previous manifest's), a Latin-1 character in a byte, any other in two.
   */
  static final long HEAP_PER_PATH_BYTE = 2;

  /**
   * What a backup may hold besides its entries: the server itself (~25 MB live), compressed chunks
   * in flight (2 × 4 × cores × 1 MiB at most), the archive's output and file digest buffers (5
   * MiB), small files read ahead ({@link ReadAhead}: ~4 MiB at most).
   */
  static final long HEAP_RESERVE =
      (73L << 20) + 8L * Runtime.getRuntime().availableProcessors() * (1 << 20);

  /** The heap this JVM gives a backup's entries ({@link #heapCost} each); tests lower it. */
  static long entryHeap =
      Math.max(10_000L * 1_000, Runtime.getRuntime().maxMemory() - HEAP_RESERVE);

  /** The heap the entry at {@code rel} (its path relative to the root) costs at a backup's peak. */
  static long heapCost(String rel) {
    int bytesPerChar = 1;
    for (int i = 0; i < rel.length(); i++) {
      if (rel.charAt(i) > 0xFF) {
        bytesPerChar = 2;
        break;
      }
    }
    return HEAP_PER_ENTRY + HEAP_PER_PATH_BYTE * bytesPerChar * rel.length();
  }

  private final RepositoryFolder repository;

  private SourceScan(
      Path root, List<String> includes, List<String> excludes, RepositoryFolder repository) {
    this.root = root;
    this.includes = matchers(includes);
    this.excludes = matchers(excludes);
    this.repository = repository;
  }

  /**
   * The folder of the repository a backup writes to, left out of it: each backup would hold all the
   * ones before it. {@code path} is where it lies relative to the root (null when not inside it by
   * path); {@code folders}, its folders by device and inode, finds it and the folders in it where
   * they are reached by another path, which no path comparison sees: a bind mount of the repository
   * or of one of its folders inside the source, or its file system mounted there a second time.
   */
  record RepositoryFolder(String path, RepositoryFolders folders) {
    static final RepositoryFolder NONE = new RepositoryFolder(null, RepositoryFolders.NONE);

    boolean is(FileStat s) {
      return folders.folder(s) != null;
    }
  }

  /** What the skipped list says of the repository's own folder inside the source. */
  static final String REPOSITORY_NOTE =
      "the backup repository this backup writes to: not backed up into itself";

  /** Threads that list and stat directories: a fresh JVM's scan is mostly interpreted code. */
  static final int THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());

  static Result scan(Path root, List<String> includes, List<String> excludes) throws IOException {
    return scan(root, includes, excludes, THREADS);
  }

  static Result scan(Path root, List<String> includes, List<String> excludes, int threads)
      throws IOException {
    return scan(root, includes, excludes, threads, RepositoryFolder.NONE);
  }

  /** As the others; {@code repository}'s folder, wherever it is met, is left out, noted skipped. */
  static Result scan(
      Path root,
      List<String> includes,
      List<String> excludes,
      int threads,
      RepositoryFolder repository)
      throws IOException {
    SourceScan scan = new SourceScan(root, includes, excludes, repository);
    // names are looked up afresh for each backup: a long-running worker sees renamed users
    USERS.clear();
    GROUPS.clear();
    List<Found> items = new ArrayList<>();
    ForkJoinPool pool =
        new ForkJoinPool(
            threads,
            p -> {
              ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
              t.setName("lifeboat-scan-" + t.getPoolIndex());
              t.setDaemon(true);
              return t;
            },
            null,
            false);
    try {
      Listing top = pool.invoke(scan.new Lister(root, "", false));
      scan.merge(top, items);
    } finally {
      pool.shutdownNow();
    }
    if (!scan.renamed.isEmpty()) {
      // only what the archive holds: a renamed file may still have been excluded or unreadable
      java.util.Set<String> kept = new java.util.HashSet<>();
      for (Found f : items) {
        kept.add(f.item().path());
      }
      scan.renamed.removeIf(n -> !kept.contains(n.path()));
    }
    return new Result(items, scan.skipped, scan.renamed, scan.files, scan.bytes);
  }

  /**
   * One directory's entries and notes in archive order: {@link Found}, {@link Skip}, {@link Rename}
   * and {@link Sub} for a subdirectory, whose own listing runs as a task of its own.
   */
  private static final class Listing {
    final List<Object> parts = new ArrayList<>();

    /** The directory could not be listed: it is left out, noted with this. */
    PathNote unlistable;

    /** What went wrong that fails the whole scan, thrown when the walk reaches it. */
    Throwable failure;
  }

  private record Skip(PathNote note) {}

  private record Rename(PathNote note) {}

  /** A subdirectory: kept when it is included or holds something kept. */
  private record Sub(Found entry, boolean included, Lister listing) {}

  /** A regular file with other names: which one holds its data is decided in archive order. */
  private record Linked(Found file, List<Object> key) {}

  private final class Lister extends RecursiveTask<Listing> {
    private final Path dir;
    private final String rel;
    private final boolean inIncludedDir;

    Lister(Path dir, String rel, boolean inIncludedDir) {
      this.dir = dir;
      this.rel = rel;
      this.inIncludedDir = inIncludedDir;
    }

    @Override
    protected Listing compute() {
      Listing l = new Listing();
      try {
        list(dir, rel, inIncludedDir, l);
      } catch (IOException | RuntimeException | Error e) {
        // kept as thrown (no copy made by a join), for the walk to throw in order
        l.failure = e;
      }
      return l;
    }
  }

  /**
   * Paths in their natural order (their bytes), compared without the cast to Comparable that the
   * natural-order comparator makes: without C2 that cast took a slow type check a comparison, a
   * fifth of the scan of a tree of many small files.
   */
  private static final java.util.Comparator<Path> BY_PATH = (a, b) -> a.compareTo(b);

  private void list(Path dir, String rel, boolean inIncludedDir, Listing out) throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.sorted(BY_PATH).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      if (rel.isEmpty()) {
        throw e;
      }
      out.unlistable =
          new PathNote(
              rel,
              reason(e instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) e));
      return;
    }
    // every name of this directory and each escaped one given out: an escaped name must be new
    java.util.Set<String> taken = null;
    for (Path child : children) {
      String name = child.getFileName().toString();
      String escapedShown = null;
      if (RawNames.mayBeLossy(name)) {
        String escaped = RawNames.escapedName(child);
        if (!escaped.equals(name)) {
          if (taken == null) {
            taken = new java.util.HashSet<>();
            for (Path c : children) {
              taken.add(c.getFileName().toString());
            }
          }
          String shown = rel.isEmpty() ? escaped : rel + "/" + escaped;
          if (!taken.add(escaped)) {
            out.parts.add(
                new Skip(
                    new PathNote(
                        shown,
                        "not backed up: a file whose name is not valid UTF-8, shown with each"
                            + " such byte as %XX; written so, it is another file's name, and that"
                            + " file is the one backed up under it")));
            continue;
          }
          escapedShown = shown;
          name = escaped;
        }
      }
      String childRel = rel.isEmpty() ? name : rel + "/" + name;
      seen.incrementAndGet();
      if (heapNeeded.addAndGet(heapCost(childRel)) > entryHeap) {
        throw tooMany();
      }
      Path relPath;
      try {
        relPath = Path.of(childRel);
      } catch (java.nio.file.InvalidPathException e) {
        out.parts.add(
            new Skip(
                new PathNote(
                    childRel,
                    UNNAMEABLE
                        + RawNames.FILE_NAME_ENCODING
                        + ", not UTF-8; run Lifeboat with a UTF-8 locale (LC_ALL=C.UTF-8)")));
        continue;
      }
      if (escapedShown != null) {
        out.parts.add(
            new Rename(
                new PathNote(
                    escapedShown,
                    "name is not valid UTF-8: archived with each such byte as %XX (restores under"
                        + " this name)")));
      }
      if (matches(excludes, relPath)) {
        continue;
      }
      if (childRel.equals(repository.path())) {
        out.parts.add(new Skip(new PathNote(childRel, REPOSITORY_NOTE)));
        continue;
      }
      FileStat a;
      try {
        a = FileStat.of(child);
      } catch (IOException e) {
        out.parts.add(new Skip(new PathNote(childRel, reason(e))));
        continue;
      }
      if (a.isDirectory() && repository.is(a)) {
        out.parts.add(new Skip(new PathNote(childRel, REPOSITORY_NOTE)));
        continue;
      }
      boolean included = includes.isEmpty() || inIncludedDir || matches(includes, relPath);
      if (a.isDirectory()) {
        Lister sub = new Lister(child, childRel, included && !includes.isEmpty() || inIncludedDir);
        sub.fork();
        out.parts.add(
            new Sub(
                Found.in(dir, child, item(child, childRel, EntryType.DIR, a, 0, null), null),
                included,
                sub));
      } else if (!included) {
        continue;
      } else if (a.isSymbolicLink()) {
        String link;
        try {
          RawNames.LinkTarget target = RawNames.linkTarget(child);
          link = target.text();
          if (target.escaped()) {
            out.parts.add(
                new Rename(
                    new PathNote(
                        childRel,
                        "link target is not valid UTF-8: archived with each such byte as %XX")));
          }
        } catch (IOException e) {
          out.parts.add(new Skip(new PathNote(childRel, reason(e))));
          continue;
        }
        out.parts.add(
            Found.in(dir, child, item(child, childRel, EntryType.SYMLINK, a, 0, link), null));
      } else if (a.isRegularFile()) {
        Found file =
            Found.in(
                dir, child, item(child, childRel, EntryType.FILE, a, a.size(), null), Stamp.of(a));
        out.parts.add(a.links() > 1 ? new Linked(file, List.of(a.device(), a.inode())) : file);
      } else {
        out.parts.add(new Skip(new PathNote(childRel, kind(a.mode()))));
      }
    }
  }

  /**
   * Walks the listings in archive order, as one walk of the tree would have: notes in order, the
   * first name of a hard-linked file holding its data, totals; throws what failed the scan.
   */
  private void merge(Listing l, List<Found> out) throws IOException {
    if (l.failure != null) {
      if (l.failure instanceof IOException e) {
        throw e;
      }
      if (l.failure instanceof RuntimeException e) {
        throw e;
      }
      throw (Error) l.failure;
    }
    for (Object part : l.parts) {
      if (part instanceof Found f) {
        add(f, out);
      } else if (part instanceof Linked linked) {
        Found f = linked.file();
        String first = firstLinkByInode.putIfAbsent(linked.key(), f.item().path());
        add(first == null ? f : f.with(relinked(f.item(), first)), out);
      } else if (part instanceof Skip skip) {
        skipped.add(skip.note());
      } else if (part instanceof Rename rename) {
        renamed.add(rename.note());
      } else if (part instanceof Sub sub) {
        Listing inner = sub.listing().join();
        if (inner.unlistable != null) {
          skipped.add(inner.unlistable);
          continue;
        }
        List<Found> below = new ArrayList<>();
        merge(inner, below);
        if (sub.included() || !below.isEmpty()) {
          out.add(sub.entry());
          out.addAll(below);
        }
      }
    }
  }

  private void add(Found f, List<Found> out) {
    out.add(f);
    if (f.item().type() == EntryType.FILE) {
      files++;
      bytes += f.item().size();
    }
  }

  /** A hardlink item pointing at another name that holds the data. */
  static Item relinked(Item link, String holder) {
    return new Item(
        link.path(),
        EntryType.HARDLINK,
        link.mode(),
        link.mtime(),
        0,
        holder,
        link.uid(),
        link.gid(),
        link.user(),
        link.group());
  }

  /** A hardlink whose first name could not be read, as a file of its own (stat taken now). */
  static Found asFile(Found link) throws IOException {
    FileStat a = FileStat.of(link.file());
    if (!a.isRegularFile()) {
      throw new NoSuchFileException(link.file().toString());
    }
    Item i = link.item();
    return new Found(
        link.file(),
        new Item(
            i.path(),
            EntryType.FILE,
            a.mode() & 07777,
            a.mtime(),
            a.size(),
            null,
            i.uid(),
            i.gid(),
            i.user(),
            i.group()),
        Stamp.of(a));
  }

  /**
   * How a file changed while it was read, if it did: {@code read} bytes came before its end (the
   * archive holds exactly the scanned size, padded or cut); then its size, mtime and ctime are
   * compared with the scan's.
   */
  static Optional<PathNote> change(Found found, long read) {
    if (read < found.item().size()) {
      return change(found, read, null);
    }
    Stamp now;
    try {
      now = Stamp.read(found.file());
    } catch (IOException e) {
      now = null;
    }
    return change(found, read, now);
  }

  /** As {@link #change(Found, long)} with the file's stamp taken after the read: null if gone. */
  static Optional<PathNote> change(Found found, long read, Stamp now) {
    String path = found.item().path();
    long scanned = found.item().size();
    if (read < scanned) {
      return Optional.of(new PathNote(path, SHRANK + " (padded with zeros)"));
    }
    if (now == null) {
      return Optional.of(new PathNote(path, "vanished while read (archived as read)"));
    }
    if (now.size() > scanned) {
      return Optional.of(
          new PathNote(
              path, "grew while read (scanned " + scanned + " bytes, now " + now.size() + ")"));
    }
    Stamp before = found.stamp();
    if (before != null
        && (now.size() != scanned
            || !now.mtime().equals(before.mtime())
            || !java.util.Objects.equals(now.ctime(), before.ctime()))) {
      return Optional.of(new PathNote(path, "modified while read"));
    }
    return Optional.empty();
  }

  /** What a file that is not a file, directory or symlink is, from its mode's type bits. */
  static String kind(int mode) {
    return switch (mode & 0170000) {
      case 0140000 -> "socket";
      case 0010000 -> "fifo";
      case 0020000, 0060000 -> "device";
      default -> "not a file, directory or symlink";
    };
  }

  /** A clear failure where running out of heap would be an unclear one. */
  private dev.lifeboat.activities.action.ActionException tooMany() {
    long mb = Runtime.getRuntime().maxMemory() >> 20;
    return dev.lifeboat.activities.action.ActionException.check(
        "source "
            + root
            + " has more entries than a backup can hold in this process's "
            + mb
            + " MB heap (the first "
            + (seen.get() - 1)
            + " alone need "
            + (heapNeeded.get() >> 20)
            + " MB of it, about "
            + HEAP_PER_ENTRY
            + " bytes an entry and "
            + HEAP_PER_PATH_BYTE
            + " a byte of its path): back up its subdirectories as separate sources, or give the"
            + " worker more heap (JAVA_OPTS=-Xmx... for scripts/start.sh, the container's"
            + " JAVA_TOOL_OPTIONS)");
  }

  // how the reasons of entries that could not be read begin (see PathNote.unreadable)
  static final String UNREADABLE = "unreadable: ";
  static final String SHRANK = "shrank while read";
  static final String VANISHED = "vanished before it was read";
  static final String UNNAMEABLE = "not backed up: this JVM reads file names as ";

  /** Why a path could not be read, in the words of the skipped list. */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return VANISHED;
    }
    if (e instanceof AccessDeniedException) {
      return UNREADABLE + "Permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return UNREADABLE + f.getReason();
    }
    return UNREADABLE + e.getMessage();
  }

  /** A directory's own mode, time and owner, as an entry of it would have them. */
  static Item stat(Path dir) throws IOException {
    return item(dir, "", EntryType.DIR, FileStat.of(dir), 0, null);
  }

  private static Item item(
      Path file, String rel, EntryType type, FileStat a, long size, String link) {
    return new Item(
        rel,
        type,
        a.mode() & 07777,
        a.mtime(),
        size,
        link,
        a.uid(),
        a.gid(),
        name(USERS, a.uid(), file, "owner"),
        name(GROUPS, a.gid(), file, "group"));
  }

  // owner and group names come from getpwuid/getgrgid; a home directory has one or two owners,
  // so each uid and gid is looked up once.
  private static final Map<Long, Optional<String>> USERS = new ConcurrentHashMap<>();
  private static final Map<Long, Optional<String>> GROUPS = new ConcurrentHashMap<>();

  private static String name(Map<Long, Optional<String>> cache, long id, Path p, String attr) {
    Optional<String> known = cache.get(id);
    if (known == null) {
      String name;
      try {
        Object principal = Files.getAttribute(p, "posix:" + attr, LinkOption.NOFOLLOW_LINKS);
        name = principal instanceof java.security.Principal u ? u.getName() : null;
      } catch (IOException | RuntimeException e) {
        return null; // vanished or unreadable now: the entry goes without a name, as tar does
      }
      // an id without a name reads back as the number itself; tar then stores no name
      known = Optional.ofNullable(name == null || name.equals(Long.toString(id)) ? null : name);
      cache.put(id, known);
    }
    return known.orElse(null);
  }

  private static boolean matches(List<PathMatcher> matchers, Path rel) {
    for (PathMatcher m : matchers) {
      if (m.matches(rel)) {
        return true;
      }
    }
    return false;
  }

  private static List<PathMatcher> matchers(List<String> globs) {
    List<PathMatcher> out = new ArrayList<>();
    if (globs != null) {
      for (String g : globs) {
        out.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
      }
    }
    return out;
  }
}
