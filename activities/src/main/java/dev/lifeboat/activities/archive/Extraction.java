package dev.lifeboat.activities.archive;

import com.sun.jna.LastErrorException;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Writes checked archive entries into a target directory without ever following a link. Safety
 * comes from the file system, not from reading link targets as text:
 *
 * <ul>
 *   <li>every entry is reached from an open handle on the target, one directory at a time, each
 *       opened with {@code O_NOFOLLOW} ({@link SecureDirectoryStream}): a parent that is a symlink
 *       (from the archive or already there) or not a directory refuses the entry;
 *   <li>files are created relative to their open parent ({@code openat}, exclusive, no-follow), and
 *       their modes and times are set through that parent without following links;
 *   <li>a hard link may only name a regular file this restore created, checked by its file key
 *       before and after linking;
 *   <li>symlinks are recreated exactly as archived, whatever they point to, but only after every
 *       file and directory is in place, so no entry is ever written through one; directory modes
 *       and times come after them, deepest first, so a read-only directory can still be filled.
 * </ul>
 *
 * All-zero 4 KiB blocks of files become holes, so sparse files stay sparse.
 */
final class Extraction implements Closeable {
  private static final int BLOCK = 4096;
  private static final byte[] ZEROS = new byte[BLOCK];
  private static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rw-------");
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(PRIVATE);
  private static final Set<OpenOption> CREATE =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

  private final ArchiveRef ref;
  private final Path target;
  private final SecureDirectoryStream<Path> root;
  private final Progress progress;
  private final List<Entry> directories = new ArrayList<>();
  private final List<Entry> symlinks = new ArrayList<>();

  /**
   * Files this restore created, by path, with their file keys: the only things a hard link may
   * name.
   */
  private final Map<String, Object> created = new ConcurrentHashMap<>();

  // false once the caller says no entry is a hard link: then no file's key is kept for one
  private volatile boolean linksAhead = true;

  /** The calling thread's handles when entries are written one after the other. */
  private final Handles main = new Handles();

  /**
   * Each writing thread's handles when files are written in parallel ({@link #writeConcurrently}).
   */
  private final List<Handles> workers = Collections.synchronizedList(new ArrayList<>());

  private final ThreadLocal<Handles> perThread =
      ThreadLocal.withInitial(
          () -> {
            Handles h = new Handles();
            workers.add(h);
            return h;
          });

  /** One lock per parent directory (by path) for creating files in it. */
  private final Map<String, Object> creating = new ConcurrentHashMap<>();

  private final boolean restoreOwners;
  // the restore's marker at the top of the target, null for none
  private final String marker;
  private final Map<Owner, Optional<UserPrincipal>> users = new ConcurrentHashMap<>();
  private final Map<Owner, Optional<GroupPrincipal>> groups = new ConcurrentHashMap<>();
  private final Map<Entry, Owner> owners = new ConcurrentHashMap<>();

  /**
   * The owner and group everything this restore makes has before any change: those of the marker
   * (the first thing made); null when unknown, or for the group when the target is set-group-id
   * (its group then passes down).
   */
  private final UserPrincipal madeOwner;

  private final GroupPrincipal madeGroup;

  /**
   * One thread's open directories along its current path (names and handles), so deep trees need
   * few opens, its copy buffer and what sets its entries' times.
   */
  private static final class Handles {
    final List<String> names = new ArrayList<>();
    final List<SecureDirectoryStream<Path>> dirs = new ArrayList<>();
    final byte[] buffer = new byte[256 * 1024];
    final PreciseTimes times = new PreciseTimes();
    // small files' digest, used again (a new one a file was most of a small file's garbage)
    final MessageDigest digest = Digests.sha256();
    private com.sun.jna.Memory nativeBuffer;

    com.sun.jna.Memory nativeBuffer() {
      if (nativeBuffer == null) {
        nativeBuffer = new com.sun.jna.Memory(64 * 1024);
      }
      return nativeBuffer;
    }

    // the owner last set and its principals: a folder's files mostly share theirs
    Owner owner;
    Optional<UserPrincipal> user;
    Optional<GroupPrincipal> group;

    void close() throws IOException {
      closeFrom(0);
      times.close();
      if (nativeBuffer != null) {
        nativeBuffer.close();
      }
    }

    void closeFrom(int depth) throws IOException {
      while (dirs.size() > depth) {
        dirs.remove(dirs.size() - 1).close();
        names.remove(names.size() - 1);
      }
    }
  }

  Extraction(ArchiveRef ref, Path target, Progress progress) throws IOException {
    this(ref, target, progress, false);
  }

  /**
   * With {@code restoreOwners}, files, directories and symlinks get their archived owner and group.
   */
  Extraction(ArchiveRef ref, Path target, Progress progress, boolean restoreOwners)
      throws IOException {
    this(ref, target, progress, restoreOwners, null);
  }

  /**
   * As the others; {@code marker} names the restore's marker file at the top of the target (which
   * tells what owner the files this process makes get), never written over; null for none.
   */
  Extraction(ArchiveRef ref, Path target, Progress progress, boolean restoreOwners, String marker)
      throws IOException {
    this.restoreOwners = restoreOwners;
    this.marker = marker;
    this.ref = ref;
    this.target = target;
    this.progress = progress;
    DirectoryStream<Path> ds = Files.newDirectoryStream(target);
    if (!(ds instanceof SecureDirectoryStream<Path> sds)) {
      ds.close();
      throw ActionException.check(
          "restoring needs a file system with secure directory access (openat), which "
              + target
              + " does not offer");
    }
    this.root = sds;
    UserPrincipal u = null;
    GroupPrincipal g = null;
    Path made = marker == null ? null : target.resolve(marker);
    if (restoreOwners && made != null && Files.isRegularFile(made, LinkOption.NOFOLLOW_LINKS)) {
      try {
        PosixFileAttributes madeAttributes =
            Files.readAttributes(made, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int targetMode = (Integer) Files.getAttribute(target, "unix:mode");
        u = madeAttributes.owner();
        g = (targetMode & 02000) != 0 ? null : madeAttributes.group();
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException ex) {
        // unknown: every owner is set
      }
    }
    this.madeOwner = u;
    this.madeGroup = g;
  }

  /**
   * Whether an entry would write over the restore's own marker (only an archive made for it can).
   */
  private boolean isMarker(Entry e) {
    return marker != null && ArchiveReader.normalizeName(e.path()).equals(marker);
  }

  void write(Entry e, InputStream data) throws IOException {
    write(e, data, null);
  }

  void write(Entry e, InputStream data, Owner owner) throws IOException {
    progress.checkCancelled();
    if (isMarker(e)) {
      return;
    }
    // a file's owner is set as it is written; the others' at the end, by finish
    Owner later = restoreOwners ? owner : null;
    if (later != null && e.type() != Manifest.EntryType.FILE) {
      owners.put(e, later);
    }
    List<String> parts = parts(e.path());
    String name = parts.get(parts.size() - 1);
    switch (e.type()) {
      case DIR -> {
        SecureDirectoryStream<Path> parent = directory(e, parts.subList(0, parts.size() - 1), true);
        BasicFileAttributes a = lstat(parent, name);
        if (a == null || !a.isDirectory()) {
          if (a != null) {
            remove(e, parent, name, a);
          }
          Files.createDirectory(target.resolve(String.join("/", parts)));
        }
        directories.add(e);
      }
      case FILE -> writeFile(main, e, parts, data, later, true);
      case HARDLINK -> link(e, parts);
      case SYMLINK -> symlinks.add(e);
      default -> throw new IllegalStateException("unknown entry type " + e.type());
    }
  }

  /**
   * Whether the entries may be written in any order: no path twice, and none below an entry that is
   * not a directory. Other archives are restored one entry after the other, as tar would.
   */
  static boolean independent(List<Entry> entries) {
    Map<String, Manifest.EntryType> types = new HashMap<>(entries.size() * 4 / 3 + 1);
    String[] names = new String[entries.size()];
    for (int i = 0; i < names.length; i++) {
      Entry e = entries.get(i);
      names[i] = joined(e.path());
      if (types.put(names[i], e.type()) != null) {
        return false;
      }
    }
    // each entry's nearest archived folder above it ends the walk up: that folder's own walk looks
    // further (each path once, instead of every prefix joined anew)
    for (String n : names) {
      for (int slash = n.lastIndexOf('/'); slash > 0; slash = n.lastIndexOf('/', slash - 1)) {
        Manifest.EntryType above = types.get(n.substring(0, slash));
        if (above != null) {
          if (above != Manifest.EntryType.DIR) {
            return false;
          }
          break;
        }
      }
    }
    return true;
  }

  /**
   * The parallel restore's first step, on the calling thread, in archive order: every directory
   * (archived or only implied by a path) is made, and symlinks are noted for {@link #finish}. Then
   * {@link #writeConcurrently} may run on several threads, and {@link #link} after it.
   */
  void prepare(List<Entry> entries) throws IOException {
    for (Entry e : entries) {
      progress.checkCancelled();
      if (isMarker(e)) {
        continue;
      }
      List<String> parts = parts(e.path());
      String name = parts.get(parts.size() - 1);
      SecureDirectoryStream<Path> parent =
          directory(main, e, parts.subList(0, parts.size() - 1), true);
      switch (e.type()) {
        case DIR -> {
          if (lstat(parent, name) == null) {
            Files.createDirectory(target.resolve(String.join("/", parts)));
          }
          directories.add(e);
        }
        case SYMLINK -> symlinks.add(e);
        default -> {}
      }
    }
  }

  /**
   * The parallel restore's second step, on any thread: a regular file's data, or the owner of
   * another entry for {@link #finish}. Progress is the caller's to count.
   */
  void writeConcurrently(Entry e, InputStream data, Owner owner) throws IOException {
    if (isMarker(e)) {
      return;
    }
    Owner later = restoreOwners ? owner : null;
    if (e.type() == Manifest.EntryType.FILE) {
      writeFile(perThread.get(), e, parts(e.path()), data, later, false);
    } else if (later != null) {
      owners.put(e, later);
    }
  }

  /** The parallel restore's third step, on the calling thread: hard links, in archive order. */
  void links(List<Entry> entries) throws IOException {
    for (Entry e : entries) {
      if (e.type() == Manifest.EntryType.HARDLINK) {
        progress.checkCancelled();
        link(e, parts(e.path()));
      }
    }
  }

  private void writeFile(
      Handles h, Entry e, List<String> parts, InputStream data, Owner owner, boolean report)
      throws IOException {
    String name = parts.get(parts.size() - 1);
    List<String> parentParts = parts.subList(0, parts.size() - 1);
    SecureDirectoryStream<Path> parent = directory(h, e, parentParts, true);
    // The kernel creates one file at a time in a directory and lets the others spin for its lock:
    // threads wait here instead, burning nothing, while reading and writing still overlap.
    Object lock = creating.computeIfAbsent(String.join("/", parentParts), k -> new Object());
    FdChannel small = createSmall(h, parent, parentParts, name, e, lock);
    if (small != null) {
      writeSmall(h, small, parent, parentParts, name, e, data, owner, report);
    } else {
      SeekableByteChannel made;
      synchronized (lock) {
        made = create(e, parent, name);
      }
      String sha;
      try (SeekableByteChannel out = made) {
        sha = copy(data, out, e, h, report);
      }
      DamagedArchive.checkDigest(ref, e, sha);
      setAttributes(h, parent, parentParts, name, e, owner);
    }
    if (linksAhead) {
      created.put(String.join("/", parts), lstat(parent, name).fileKey());
    }
    if (report) {
      progress.file();
    }
  }

  /** Files below this size are made through libc where {@link #createSmall} can. */
  static final long SMALL = 1 << 20;

  // off in tests that compare the two ways
  static volatile boolean smallFilesThroughLibc = true;

  /**
   * A small file made new (exclusive, not following a link, private) relative to a descriptor of
   * its parent that was checked to be the open directory itself ({@link PreciseTimes#descriptor}):
   * its data, mode and time then go through that one descriptor, where Java's channel opened the
   * file again by name for the mode and set the time by name (a restore of 200,000 small files
   * spent most of its time making, opening and closing). Null when that cannot be done here: no
   * such descriptor, a name libc cannot be handed, set-id or sticky bits, a larger file, or any
   * failure to create, an existing name included; the caller then goes Java's way, which replaces
   * what stands there and reports errors.
   */
  private FdChannel createSmall(
      Handles h,
      SecureDirectoryStream<Path> parent,
      List<String> parentParts,
      String name,
      Entry e,
      Object lock) {
    if (!smallFilesThroughLibc
        || e.size() >= SMALL
        || (e.modeBits() & 07000) != 0
        || RawNames.mayBeLossy(name)) {
      return null;
    }
    int dirfd = h.times.descriptor(parent, target, parentParts);
    if (dirfd < 0) {
      return null;
    }
    byte[] bytes = LibC.name(name);
    int fd;
    try {
      synchronized (lock) {
        fd =
            LibC.openat(
                dirfd,
                bytes,
                LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC,
                0600);
      }
    } catch (LastErrorException | UnsatisfiedLinkError ex) {
      return null;
    }
    SMALL_FILES_MADE.increment();
    return new FdChannel(fd, h.nativeBuffer());
  }

  private static final LongAdder SMALL_FILES_MADE = new LongAdder();

  /** How many files {@link #createSmall} made in this process, for tests. */
  static long smallFilesMade() {
    return SMALL_FILES_MADE.sum();
  }

  /**
   * The rest of {@link #writeFile} for a file {@link #createSmall} made: data and digest, then mode
   * and time on the descriptor before it is closed; owner and group, when they change, Java's way
   * (by name, without following a link), which leaves the permission bits and the time alone.
   */
  private void writeSmall(
      Handles h,
      FdChannel out,
      SecureDirectoryStream<Path> parent,
      List<String> parentParts,
      String name,
      Entry e,
      InputStream data,
      Owner owner,
      boolean report)
      throws IOException {
    boolean set;
    try (out) {
      String sha = copy(data, out, e, h, report);
      DamagedArchive.checkDigest(ref, e, sha);
      try {
        LibC.fchmod(out.fd(), e.modeBits() & 0777);
        set = h.times.set(out.fd(), e.mtime());
      } catch (LastErrorException ex) {
        set = false;
      }
    }
    if (!set) {
      setAttributes(h, parent, parentParts, name, e, owner);
    } else if (owner != null) {
      changeOwner(
          h,
          parent.getFileAttributeView(
              Path.of(name), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS),
          owner);
    }
  }

  /** A new file, private until its data is in; whatever stood in its place is removed first. */
  private SeekableByteChannel create(Entry e, SecureDirectoryStream<Path> parent, String name)
      throws IOException {
    try {
      return parent.newByteChannel(Path.of(name), CREATE, PRIVATE_FILE);
    } catch (FileAlreadyExistsException ex) {
      BasicFileAttributes old = lstat(parent, name);
      if (old != null) {
        remove(e, parent, name, old);
      }
      return parent.newByteChannel(Path.of(name), CREATE, PRIVATE_FILE);
    }
  }

  /**
   * Says whether any entry to come is a hard link; when none is, the file key of each file made (an
   * lstat and a map entry a file, what a hard link is checked against) is not kept.
   */
  void linksAhead(boolean any) {
    linksAhead = any;
  }

  /** Creates the symlinks, then applies directory modes and times, deepest first. */
  void finish() throws IOException {
    for (Entry e : symlinks) {
      progress.checkCancelled();
      List<String> parts = parts(e.path());
      String name = parts.get(parts.size() - 1);
      SecureDirectoryStream<Path> parent = directory(e, parts.subList(0, parts.size() - 1), true);
      BasicFileAttributes old = lstat(parent, name);
      if (old != null) {
        remove(e, parent, name, old);
      }
      Path dest = target.resolve(String.join("/", parts));
      LibC.createSymbolicLink(dest, e.linkTarget());
      if (!main.times.set(parent, target, parts.subList(0, parts.size() - 1), name, e.mtime())) {
        try {
          Files.getFileAttributeView(dest, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setTimes(FileTime.from(e.mtime()), null, null);
        } catch (IOException | UnsupportedOperationException ex) {
          // a symlink's own time is cosmetic; some platforms cannot set it
        }
      }
      Owner owner = owners.get(e);
      if (owner != null) {
        // lchown by path: the parent was just opened without following links
        setOwner(
            Files.getFileAttributeView(
                dest, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS),
            owner);
      }
    }
    List<Entry> deepestFirst = new ArrayList<>(directories);
    deepestFirst.sort(Comparator.comparingInt((Entry e) -> parts(e.path()).size()).reversed());
    for (Entry e : deepestFirst) {
      List<String> parts = parts(e.path());
      String name = parts.get(parts.size() - 1);
      SecureDirectoryStream<Path> parent = directory(e, parts.subList(0, parts.size() - 1), false);
      BasicFileAttributes a = lstat(parent, name);
      if (a != null && a.isDirectory()) {
        setAttributes(main, parent, parts.subList(0, parts.size() - 1), name, e, owners.get(e));
      }
      // otherwise a later entry of the same name replaced the directory: its attributes are that
      // entry's
    }
  }

  /** The owner and group known here by name or number; one that is not known is left as it is. */
  private void setOwner(PosixFileAttributeView view, Owner owner) throws IOException {
    Optional<UserPrincipal> u = user(owner);
    if (u.isPresent()) {
      view.setOwner(u.get());
    }
    Optional<GroupPrincipal> g = group(owner);
    if (g.isPresent()) {
      view.setGroup(g.get());
    }
  }

  /**
   * Gives the target folder the backed-up folder's own owner (with {@code restoreOwners}), mode and
   * time, as GNU tar does with an archive's "./". Called last: the time would move with any change
   * inside, and a mode without write could stop the marker from going.
   */
  void applyRoot(Manifest.Root r) throws IOException {
    if (r == null) {
      return;
    }
    PosixFileAttributeView view =
        Files.getFileAttributeView(target, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (restoreOwners) {
      // before the mode: a change of owner clears set-id bits
      setOwner(view, new Owner(r.uid(), r.gid(), r.user(), r.group()));
    }
    int mode = r.modeBits();
    try {
      Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException ex) {
      view.setPermissions(permissions(mode));
    }
    if (r.mtime() != null) {
      view.setTimes(FileTime.from(r.mtime()), null, null);
    }
  }

  @Override
  public void close() throws IOException {
    main.close();
    synchronized (workers) {
      for (Handles h : workers) {
        h.close();
      }
    }
    root.close();
  }

  /** A hard link to a regular file this restore created, checked by file key before and after. */
  private void link(Entry e, List<String> parts) throws IOException {
    List<String> sourceParts = parts(ArchiveReader.normalizeName(e.linkTarget()));
    String source = String.join("/", sourceParts);
    Object key = created.get(source);
    SecureDirectoryStream<Path> sourceDir =
        key == null ? null : directory(e, sourceParts.subList(0, sourceParts.size() - 1), false);
    BasicFileAttributes s =
        sourceDir == null ? null : lstat(sourceDir, sourceParts.get(sourceParts.size() - 1));
    if (s == null || !s.isRegularFile() || !Objects.equals(s.fileKey(), key)) {
      throw ActionException.check(
          "archive "
              + ref.name()
              + ": hardlink '"
              + e.path()
              + "' names '"
              + source
              + "', which is not a file this restore created");
    }
    String name = parts.get(parts.size() - 1);
    SecureDirectoryStream<Path> parent = directory(e, parts.subList(0, parts.size() - 1), true);
    BasicFileAttributes old = lstat(parent, name);
    if (old != null) {
      remove(e, parent, name, old);
    }
    Files.createLink(target.resolve(String.join("/", parts)), target.resolve(source));
    BasicFileAttributes made = lstat(parent, name);
    if (made == null || !Objects.equals(made.fileKey(), key)) {
      // something moved under the restore between the check and the link: take it back
      parent.deleteFile(Path.of(name));
      throw ActionException.check(
          "archive "
              + ref.name()
              + ": hardlink '"
              + e.path()
              + "' did not end up on the"
              + " file '"
              + source
              + "' this restore created; the target changed during the restore");
    }
  }

  /**
   * The open directory at {@code parts} below the target, each component opened without following
   * links; missing ones are created when {@code create}. A component that is a symlink or not a
   * directory refuses {@code e}.
   */
  private SecureDirectoryStream<Path> directory(Entry e, List<String> parts, boolean create)
      throws IOException {
    return directory(main, e, parts, create);
  }

  private SecureDirectoryStream<Path> directory(
      Handles h, Entry e, List<String> parts, boolean create) throws IOException {
    int same = 0;
    while (same < parts.size()
        && same < h.names.size()
        && h.names.get(same).equals(parts.get(same))) {
      same++;
    }
    h.closeFrom(same);
    for (int i = same; i < parts.size(); i++) {
      SecureDirectoryStream<Path> parent = i == 0 ? root : h.dirs.get(i - 1);
      String name = parts.get(i);
      BasicFileAttributes a = lstat(parent, name);
      if (a == null && create) {
        try {
          Files.createDirectory(target.resolve(String.join("/", parts.subList(0, i + 1))));
        } catch (FileAlreadyExistsException ex) {
          // another thread made it; what it is gets checked below like anything found
        }
        a = lstat(parent, name);
      }
      String where = String.join("/", parts.subList(0, i + 1));
      if (a == null) {
        throw ActionException.check(
            "archive "
                + ref.name()
                + ": the directory '"
                + where
                + "' of entry '"
                + e.path()
                + "' is missing");
      }
      if (!a.isDirectory()) {
        throw ActionException.check(
            "archive "
                + ref.name()
                + ": entry '"
                + e.path()
                + "' would be written through"
                + " '"
                + where
                + "', which is "
                + (a.isSymbolicLink() ? "a symlink" : "not a directory")
                + "; a restore never writes through links");
      }
      // O_NOFOLLOW: if the directory was swapped for a link since the check, this fails instead of
      // following.
      h.dirs.add(parent.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS));
      h.names.add(name);
    }
    return parts.isEmpty() ? root : h.dirs.get(parts.size() - 1);
  }

  /** Removes what stands where an entry goes: a file or link, or an empty directory. */
  private void remove(
      Entry e, SecureDirectoryStream<Path> parent, String name, BasicFileAttributes a)
      throws IOException {
    if (a.isDirectory()) {
      try {
        parent.deleteDirectory(Path.of(name));
      } catch (DirectoryNotEmptyException ex) {
        throw ActionException.check(
            "archive "
                + ref.name()
                + ": entry '"
                + e.path()
                + "' would replace a"
                + " directory that is not empty");
      }
    } else {
      parent.deleteFile(Path.of(name));
    }
    created.remove(ArchiveReader.normalizeName(e.path()));
  }

  /**
   * Times first, then the mode (a mode without owner read would stop Java's way of setting the
   * time). The time to the nanosecond where {@link PreciseTimes} can set it, else to the
   * microsecond.
   */
  private void setAttributes(
      Handles h,
      SecureDirectoryStream<Path> parent,
      List<String> parentParts,
      String name,
      Entry e,
      Owner owner)
      throws IOException {
    Path p = Path.of(name);
    if (!h.times.set(parent, target, parentParts, name, e.mtime())) {
      parent
          .getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(e.mtime()), null, null);
    }
    int mode = e.modeBits();
    PosixFileAttributeView view =
        parent.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (owner != null) {
      // before the mode: a change of owner clears set-id bits
      changeOwner(h, view, owner);
    }
    view.setPermissions(permissions(mode));
    if ((mode & 07000) != 0) {
      setSpecialBits(parent, p, e, mode);
    }
  }

  /**
   * The owner and group where they differ from what this process makes: each change opens the entry
   * again, so what it already has is left alone.
   */
  private void changeOwner(Handles h, PosixFileAttributeView view, Owner owner) throws IOException {
    if (!owner.equals(h.owner)) {
      h.user = user(owner);
      h.group = group(owner);
      h.owner = owner;
    }
    Optional<UserPrincipal> u = h.user;
    if (u.isPresent() && !u.get().equals(madeOwner)) {
      view.setOwner(u.get());
    }
    Optional<GroupPrincipal> g = h.group;
    if (g.isPresent() && !g.get().equals(madeGroup)) {
      view.setGroup(g.get());
    }
  }

  /**
   * Set-user-id, set-group-id and sticky bits: the handle-relative view takes only the nine
   * permission bits, so this goes by path (no-follow on the last component) after checking it is
   * still the same file.
   */
  private void setSpecialBits(SecureDirectoryStream<Path> parent, Path name, Entry e, int mode)
      throws IOException {
    Object key =
        parent
            .getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .readAttributes()
            .fileKey();
    Path path = target.resolve(ArchiveReader.normalizeName(e.path()));
    BasicFileAttributes byPath =
        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (byPath.isSymbolicLink() || !Objects.equals(byPath.fileKey(), key)) {
      throw ActionException.check(
          "archive " + ref.name() + ": entry '" + e.path() + "' changed during the" + " restore");
    }
    try {
      Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException ex) {
      // no unix view here: the nine permission bits are set, as a non-POSIX tar would
    }
  }

  private Optional<UserPrincipal> user(Owner o) {
    return users.computeIfAbsent(
        new Owner(o.uid(), 0, o.user(), null),
        k -> {
          UserPrincipalLookupService lookup =
              target.getFileSystem().getUserPrincipalLookupService();
          for (String name : new String[] {o.user(), Long.toString(o.uid())}) {
            try {
              if (name != null && !name.isBlank()) {
                return Optional.of(lookup.lookupPrincipalByName(name));
              }
            } catch (IOException ex) {
              // unknown here: try the number
            }
          }
          return Optional.empty();
        });
  }

  private Optional<GroupPrincipal> group(Owner o) {
    return groups.computeIfAbsent(
        new Owner(0, o.gid(), null, o.group()),
        k -> {
          UserPrincipalLookupService lookup =
              target.getFileSystem().getUserPrincipalLookupService();
          for (String name : new String[] {o.group(), Long.toString(o.gid())}) {
            try {
              if (name != null && !name.isBlank()) {
                return Optional.of(lookup.lookupPrincipalByGroupName(name));
              }
            } catch (IOException ex) {
              // unknown here: try the number
            }
          }
          return Optional.empty();
        });
  }

  private static BasicFileAttributes lstat(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    try {
      return dir.getFileAttributeView(
              Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Copies the entry's data, digesting all of it and seeking over all-zero blocks so they stay
   * holes. A file of {@link Checker#PIPELINED_MIN} or more is digested on a thread of its own while
   * this one decodes and writes it, as verify does.
   */
  private String copy(InputStream data, SeekableByteChannel out, Entry e, Handles h, boolean report)
      throws IOException {
    FileDigests digests = e.size() >= Checker.PIPELINED_MIN ? new FileDigests() : null;
    // a large file's digest runs on a thread of its own, which may outlive a failure here
    MessageDigest md = digests == null ? h.digest : Digests.sha256();
    md.reset();
    byte[] buffer = h.buffer;
    try {
      long pos = 0;
      boolean endsInHole = false;
      while (true) {
        byte[] b = digests == null ? buffer : digests.buffer();
        int n;
        try {
          // full buffers keep blocks aligned with file offsets
          n = data.readNBytes(b, 0, b.length);
        } catch (IOException ex) {
          throw DamagedArchive.readFailure(ref, e, ex);
        }
        if (n <= 0) {
          break;
        }
        // each run of blocks that are not all zeros is one write; the zero blocks between stay
        // holes
        int run = -1;
        for (int off = 0; off < n; off += BLOCK) {
          int len = Math.min(BLOCK, n - off);
          boolean zero = Arrays.equals(b, off, off + len, ZEROS, 0, len);
          if (zero && run >= 0) {
            write(out, pos + run, b, run, off - run);
            run = -1;
          } else if (!zero && run < 0) {
            run = off;
          }
          endsInHole = zero;
        }
        if (run >= 0) {
          write(out, pos + run, b, run, n - run);
        }
        // written first: the digest thread gives the buffer back when it is done with it
        if (digests == null) {
          md.update(b, 0, n);
        } else {
          digests.update(md, b, n);
        }
        pos += n;
        if (report) {
          progress.bytes(n);
        }
      }
      if (endsInHole) {
        // a hole at the end: one zero byte at the last offset gives the file its length
        out.position(pos - 1);
        out.write(ByteBuffer.wrap(new byte[1]));
      }
      return digests == null ? Digests.hex(md.digest()) : Checker.get(digests.finish(md));
    } finally {
      if (digests != null) {
        digests.close();
      }
    }
  }

  private static void write(SeekableByteChannel out, long at, byte[] b, int off, int len)
      throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b, off, len);
    if (out instanceof FileChannel fc) {
      // one positional write, no separate seek
      while (bb.hasRemaining()) {
        fc.write(bb, at + bb.position() - off);
      }
      return;
    }
    out.position(at);
    while (bb.hasRemaining()) {
      out.write(bb);
    }
  }

  /**
   * The components of {@code path} joined by single slashes, as {@code String.join("/",
   * parts(path))}: the path itself when it has no empty or "." component (as every archive Lifeboat
   * writes), without splitting it.
   */
  static String joined(String path) {
    boolean plain =
        !path.isEmpty() && path.charAt(0) != '/' && path.charAt(path.length() - 1) != '/';
    for (int at = path.indexOf('.'); plain && at >= 0; at = path.indexOf('.', at + 1)) {
      plain =
          !((at == 0 || path.charAt(at - 1) == '/')
              && (at + 1 == path.length() || path.charAt(at + 1) == '/'));
    }
    return plain && !path.contains("//") ? path : String.join("/", parts(path));
  }

  /** Path components, without empty or "." ones (the guard has refused ".."). */
  static List<String> parts(String path) {
    List<String> out = new ArrayList<>();
    for (String s : ArchiveReader.normalizeName(path).split("/")) {
      if (!s.isEmpty() && !s.equals(".")) {
        out.add(s);
      }
    }
    if (out.isEmpty()) {
      throw ActionException.check("an archive entry has an empty name ('" + path + "')");
    }
    return out;
  }

  static Set<PosixFilePermission> permissions(int mode) {
    return PERMISSIONS.get(mode & 0777);
  }

  // the nine permission bits as sets, made once instead of for every file restored
  private static final List<Set<PosixFilePermission>> PERMISSIONS =
      IntStream.range(0, 01000).mapToObj(Extraction::permissionSet).toList();

  private static Set<PosixFilePermission> permissionSet(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return Collections.unmodifiableSet(set);
  }
}
