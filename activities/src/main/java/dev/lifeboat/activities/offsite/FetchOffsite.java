package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.SourceLock;
import dev.lifeboat.activities.command.ProgramResult;
import dev.lifeboat.activities.local.ContextProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code fetch-offsite} action: brings one archive of a source (default: the latest) back from
 * the encrypted offsite copy into a local repository, with its manifest and, when it is the newest,
 * the {@code latest} pointer — the first step of a restore after the local drive was lost. It holds
 * the source's lock, never replaces an archive or manifest that is there, and moves files in only
 * when the archive's size matches its manifest: a failed fetch leaves nothing behind.
 */
public final class FetchOffsite implements Action<FetchOffsite.Args> {
  private static final Duration TIMEOUT = Duration.ofHours(12);
  private static final Duration SHORT = Duration.ofMinutes(5);
  private static final String MANIFEST = ".manifest.json";

  /** Where a fetch puts files until they are checked: hidden, so listings and syncs skip it. */
  static final String PARTIAL = ".offsite-fetch.partial";

  private final Rclone rclone;
  private final OffsiteConfig config;
  private final List<Path> archiveRoots;

  public FetchOffsite(Rclone rclone, OffsiteConfig config) {
    this(rclone, config, List.of());
  }

  /**
   * @param archiveRoots folders besides the repository that {@code into} may name or lie in
   *     (LIFEBOAT_ARCHIVE_ROOTS: where later steps may read archives from)
   */
  public FetchOffsite(Rclone rclone, OffsiteConfig config, List<Path> archiveRoots) {
    this.rclone = rclone;
    this.config = config;
    this.archiveRoots = List.copyOf(archiveRoots);
  }

  /** Arguments of {@code fetch-offsite}. */
  public record Args(
      @Arg(description = "the set, e.g. notebooks") String set,
      @Arg(description = "the source within the set, e.g. jupyter-0") String source,
      @Arg(
              required = false,
              // the names RepositoryPaths.archive takes, so a run is refused before it starts
              pattern = "|(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]*",
              description =
                  "an archive timestamp or file name such as 20261122T020000Z or"
                      + " 20261122T020000Z.tar.gz (default: the one 'latest' names)")
          String archive,
      @Arg(
              required = false,
              description =
                  "local repository to fetch into (default: the configured one; another must be"
                      + " an archive root or inside one)")
          String into) {}

  /**
   * Step output: what was fetched and where it is now; {@code status} is {@code fetched}, or {@code
   * already here} when the archive was in the repository already (then nothing was fetched).
   */
  public record Result(
      String set,
      String source,
      String archive,
      String path,
      long files,
      long bytes,
      String duration,
      String status) {}

  @Override
  public String name() {
    return "fetch-offsite";
  }

  @Override
  public String description() {
    return "Fetches an archive (default: the latest) with its manifest from the encrypted offsite copy";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    String set = RepositoryPaths.segment(name(), "set", args.set());
    String source = RepositoryPaths.segment(name(), "source", args.source());
    String requested =
        args.archive() == null || args.archive().isBlank()
            ? null
            : RepositoryPaths.archive(name(), "archive", RepositoryPaths.timestamp(args.archive()));
    // before anything is fetched: Lifeboat writes only where it may later read archives from
    Path into = RepositoryPaths.fetchTarget(name(), args.into(), config, archiveRoots);
    Repository repository = new Repository(into);
    Path target = into.resolve(set).resolve(source);
    long started = System.nanoTime();
    try (Rclone.Session session = rclone.open(config, context)) {
      Rclone.Reachability reach = session.probe(context);
      if (!reach.reachable()) {
        throw ActionException.check(
            "fetch-offsite: cannot fetch from the offsite copy: " + reach.reason());
      }
      session.requireOwnPassword(context);
      String remoteDir = set + "/" + source;
      Optional<String> remoteLatest = latest(session, remoteDir, context);
      if (requested == null && remoteLatest.isEmpty()) {
        throw ActionException.check(
            "fetch-offsite: the offsite copy has no 'latest' archive for " + remoteDir);
      }
      String archive =
          requested != null
              ? requested
              : RepositoryPaths.archive(name(), "archive named by 'latest'", remoteLatest.get());
      boolean isLatest = remoteLatest.map(archive::equals).orElse(false);
      // what the lock makes for a source that is not here yet (source, set, repository folders)
      // goes again if the fetch fails: a folder with only a lock lists as a source never backed up
      Path made = firstMissing(target, into);
      // one writer per source, as for backups and prunes
      try (SourceLock lock =
          repository.lockSource(set, source, context.runId(), new ContextProgress(context))) {
        try {
          return fetchLocked(
              session, repository, into, set, source, archive, isLatest, started, context);
        } catch (Exception e) {
          if (made != null) {
            removeMade(repository, set, source, lock, target, made, e);
          }
          throw e;
        }
      }
    }
  }

  private Result fetchLocked(
      Rclone.Session session,
      Repository repository,
      Path into,
      String set,
      String source,
      String archive,
      boolean isLatest,
      long started,
      ActionContext context)
      throws Exception {
    String remoteDir = set + "/" + source;
    Path target = into.resolve(set).resolve(source);
    // a missing archive is not here: its manifest is, and is refused below
    Optional<ArchiveInfo> here =
        repository.list(set, source).stream()
            .filter(a -> !a.missing())
            .filter(a -> RepositoryPaths.timestamp(a.name()).equals(archive))
            .findFirst();
    if (here.isPresent()) {
      return keep(here.get(), set, source, archive, started, context);
    }
    Path manifest = target.resolve(archive + MANIFEST);
    if (Files.exists(manifest, LinkOption.NOFOLLOW_LINKS)) {
      throw ActionException.check(
          "fetch-offsite: "
              + manifest
              + " is there without its archive; it is not replaced. Move it aside to fetch "
              + archive
              + " from the offsite copy");
    }
    // fetched into a hidden folder of the same drive (listings and syncs skip it) and moved
    // in only when checked: a failed or short fetch leaves nothing that looks like an archive
    Path partialRoot = into.resolve(PARTIAL);
    Path partial = partialRoot.resolve(set).resolve(source);
    Rclone.deleteTree(partial);
    Files.createDirectories(partial);
    try {
      context.message("fetching " + remoteDir + "/" + archive + " from " + config.describe());
      Rclone.Transfer t = transfer(session, remoteDir, archive, isLatest, partial, context);
      ArchiveInfo fetched =
          new Repository(partialRoot)
              .list(set, source).stream()
                  .filter(a -> RepositoryPaths.timestamp(a.name()).equals(archive))
                  .findFirst()
                  .orElseThrow(
                      () ->
                          ActionException.check(
                              "fetch-offsite: archive "
                                  + archive
                                  + " of "
                                  + remoteDir
                                  + " is not in the offsite copy "
                                  + config.describe()));
      if (fetched.damaged()) {
        throw ActionException.check(
            "fetch-offsite: the offsite copy of "
                + remoteDir
                + "/"
                + fetched.name()
                + " is not usable and was not kept: "
                + fetched.state().error().replace(partial.toString(), remoteDir));
      }
      // as a backup publishes: manifest and state before the archive appears under its name
      Path path =
          repository
              .publishFetched(set, source, fetched.path(), partial.resolve(archive + MANIFEST))
              .path();
      if (isLatest) {
        movePointer(partial, target, archive);
      }
      String duration = SyncOffsite.took(started);
      context.message("fetched " + fetched.name() + " in " + duration);
      return new Result(
          set, source, archive, path.toString(), t.files(), t.bytes(), duration, "fetched");
    } finally {
      Rclone.deleteTree(partial);
      deleteIfEmpty(partial.getParent());
      deleteIfEmpty(partialRoot);
    }
  }

  private Rclone.Transfer transfer(
      Rclone.Session session,
      String remoteDir,
      String archive,
      boolean isLatest,
      Path partial,
      ActionContext context)
      throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "--include",
                "/" + archive + ".tar.gz",
                "--include",
                "/" + archive + ".tar.zst",
                "--include",
                "/" + archive + MANIFEST));
    if (isLatest) {
      argv.addAll(List.of("--include", "/latest"));
    }
    try {
      return session.transfer(
          "copy", List.of(session.crypt(remoteDir), partial.toString()), argv, TIMEOUT, context);
    } catch (IOException e) {
      String text = e.getMessage() == null ? "" : e.getMessage();
      if (text.contains("failed to authenticate decrypted block")
          || text.contains("bad password")) {
        throw ActionException.check(
            "fetch-offsite: the offsite copy of "
                + remoteDir
                + "/"
                + archive
                + " is corrupt or was made with another password; nothing was kept ("
                + text
                + ")");
      }
      throw e;
    }
  }

  /** The archive is here already: it is never replaced, and a damaged one is not passed off. */
  private static Result keep(
      ArchiveInfo here,
      String set,
      String source,
      String archive,
      long started,
      ActionContext context) {
    if (here.damaged()) {
      throw ActionException.check(
          "fetch-offsite: "
              + here.path()
              + " is here already and damaged ("
              + here.state().error()
              + "); it is not replaced. Move it and its manifest aside to fetch the offsite copy");
    }
    context.message(here.path() + " is here already; kept as it is, nothing fetched");
    return new Result(
        set,
        source,
        archive,
        here.path().toString(),
        0,
        0,
        SyncOffsite.took(started),
        "already here");
  }

  /** The fetched {@code latest} replaces the local one only when that names an older archive. */
  private static void movePointer(Path partial, Path target, String archive) throws IOException {
    Path fetched = partial.resolve("latest");
    Path local = target.resolve("latest");
    if (!Files.isRegularFile(fetched, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isRegularFile(local, LinkOption.NOFOLLOW_LINKS)) {
      String named = RepositoryPaths.timestamp(Files.readString(local));
      if (named.compareTo(archive) >= 0) {
        return;
      }
    }
    Files.move(fetched, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The topmost of {@code target} and its parents up to {@code into} that is not there, or null
   * when {@code target} is: what making {@code target} creates.
   */
  private static Path firstMissing(Path target, Path into) {
    Path missing = null;
    for (Path p = target; p != null; p = p.getParent()) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        break;
      }
      missing = p;
      if (p.equals(into)) {
        break;
      }
    }
    return missing;
  }

  /**
   * After a failed fetch into a source that was not here: removes the source folder (while its lock
   * is held, and only when the lock is all it holds), then its empty parents up to {@code made}.
   * Folders with anything in them stay; a failure to clean up is told beside the fetch's.
   */
  private static void removeMade(
      Repository repository,
      String set,
      String source,
      SourceLock lock,
      Path target,
      Path made,
      Exception failure) {
    try {
      if (!repository.removeUnusedSource(set, source, lock)) {
        return;
      }
      for (Path p = target.getParent(); p != null && p.startsWith(made); p = p.getParent()) {
        if (!deleteIfEmpty(p)) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** Whether {@code dir} is gone (it was empty or not there). */
  private static boolean deleteIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      // another fetch or source still uses it
      return false;
    }
  }

  /** The archive the remote {@code latest} pointer names, if there is one. */
  private static Optional<String> latest(
      Rclone.Session session, String remoteDir, ActionContext context) throws Exception {
    StringBuilder text = new StringBuilder();
    ProgramResult result =
        session.run(
            "cat",
            List.of(session.crypt(remoteDir + "/latest")),
            List.of(),
            SHORT,
            context,
            line -> {
              if (!line.matches("^\\d{4}/\\d{2}/\\d{2} .*")) { // skip rclone's own log lines
                text.append(line).append('\n');
              }
            },
            false);
    if (result.exitCode() != 0 || text.toString().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(RepositoryPaths.timestamp(text.toString().lines().findFirst().orElse("")));
  }
}
