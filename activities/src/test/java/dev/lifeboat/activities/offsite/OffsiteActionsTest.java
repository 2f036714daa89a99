package dev.lifeboat.activities.offsite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.ArchiveState;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.RetentionPolicy;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.activities.command.RecordingContext;
import dev.lifeboat.workflows.ActionFailureTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offsite actions against the real rclone, a local-filesystem backend and crypt on top. */
class OffsiteActionsTest {
  private static final String PASSWORD = "correct-horse-battery-staple-42";
  private static final String SALT = "pepper-and-salt-17";
  private static final String SECRET_CONTENT = "TRANSFORMER-TRAINING-NOTEBOOK-CONTENT";
  private static final String NEW = "20250102T020000Z";
  private static final String OLD = "20250101T020000Z";
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  @TempDir Path dir;
  private Path repo;
  private Path offsite;
  private final List<List<String>> launched = new CopyOnWriteArrayList<>();
  private final List<Object> seen = new ArrayList<>();
  private final RecordingContext context = new RecordingContext("offsite");
  private Rclone rclone;
  private OffsiteConfig config;

  @BeforeEach
  void setUp() throws Exception {
    repo = dir.resolve("repo");
    offsite = dir.resolve("drive").resolve("lifeboat-offsite");
    Files.createDirectories(offsite.getParent());
    archive("notebooks", "jupyter-0", OLD, "older notebook bytes");
    archive("notebooks", "jupyter-0", NEW, SECRET_CONTENT);
    archive("models", "llama-finetune", NEW, "model weights");
    rclone = new Rclone(ProgramRunner.fromEnvironment().withLaunchListener(launched::add));
    config = OffsiteConfig.localDirectory(offsite, PASSWORD, SALT, repo);
  }

  /**
   * A real archive (manifest, state, lock and latest as a backup leaves them) at time {@code ts}.
   */
  private void archive(String set, String source, String ts, String content) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data").resolve(set + "-" + source + "-" + ts));
    byte[] random = new byte[100_000];
    new Random(ts.hashCode() + content.hashCode()).nextBytes(random);
    // the file's name is the secret: it is in the manifest in plain text
    Files.write(
        data.resolve(content.replace(' ', '-') + ".bin"),
        concat(content.getBytes(StandardCharsets.UTF_8), random));
    Instant at = Instant.from(STAMP.parse(ts));
    new Repository(repo, Clock.fixed(at, ZoneOffset.UTC))
        .writeFromDirectory(set, source, data, List.of(), List.of(), ProgressListener.NONE);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private Map<String, Object> run(Action<?> action, Map<String, Object> args) throws Exception {
    try {
      Map<String, Object> out = ActionDispatcher.invoke(action, args, context);
      seen.add(out);
      return out;
    } catch (Exception e) {
      seen.add(e.getMessage());
      throw e;
    }
  }

  private Map<String, Object> sync(Map<String, Object> args) throws Exception {
    return run(new SyncOffsite(rclone, config), args);
  }

  private Map<String, Object> check(Map<String, Object> args) throws Exception {
    return run(new CheckOffsite(rclone, config), args);
  }

  private Map<String, Object> fetch(Map<String, Object> args) throws Exception {
    return run(
        new FetchOffsite(rclone, config, List.of(dir.resolve("restore"), dir.resolve("r2"))), args);
  }

  private List<Path> remoteFiles() throws Exception {
    try (Stream<Path> walk = Files.walk(offsite)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  /**
   * The offsite file that holds {@code plain} (a path inside the repository), by its crypt name.
   */
  private Path remoteOf(String plain) throws Exception {
    try (Rclone.Session session = rclone.open(config, context)) {
      Process p =
          new ProcessBuilder(
                  "rclone",
                  "cryptdecode",
                  "--reverse",
                  "--config",
                  session.configFile().toString(),
                  Rclone.CRYPT + ":",
                  plain)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).isZero();
      Path remote = offsite.resolve(out.substring(out.indexOf('\t') + 1).trim());
      assertThat(remote).isRegularFile();
      return remote;
    }
  }

  private static void flipByte(Path file, int at) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    bytes[at] ^= 0x55;
    Files.write(file, bytes);
  }

  /** What a fetch into {@code root} left of {@code set/source}: archives, manifests, latest. */
  private static List<String> fetchedFiles(Path root, String set, String source) throws Exception {
    Path d = root.resolve(set).resolve(source);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(d)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals(".lock"))
          .sorted()
          .toList();
    }
  }

  private static final String JUPYTER = "notebooks/jupyter-0/";

  @Test
  void aDamagedArchiveIsNeverSyncedOverItsGoodOffsiteCopy() throws Exception {
    sync(Map.of());
    Path local = repo.resolve(JUPYTER + NEW + ".tar.gz");
    byte[] good = Files.readAllBytes(local);
    // a drill finds a flipped byte and marks the archive damaged
    flipByte(local, good.length / 2);
    Repository repository = new Repository(repo);
    repository.markDamaged(
        repository.resolve("notebooks", "jupyter-0", local.toString()),
        "restore-drill",
        "member 1 fails its digest");

    Map<String, Object> out = sync(Map.of());
    assertThat(out)
        .containsEntry("status", "synced")
        .containsEntry("skippedDamaged", List.of(JUPYTER + NEW + ".tar.gz"));
    assertThat(context.messages()).anyMatch(m -> m.contains("not copying " + JUPYTER + NEW));
    // the offsite copy is still the good one, and a fetch brings it back
    fetch(
        Map.of(
            "set",
            "notebooks",
            "source",
            "jupyter-0",
            "archive",
            NEW,
            "into",
            dir.resolve("restore").toString()));
    assertThat(dir.resolve("restore").resolve(JUPYTER + NEW + ".tar.gz")).hasBinaryContent(good);
    // the check compares what a sync copies: the damaged archive is not compared
    assertThat(check(Map.of()))
        .containsEntry("matching", 6L)
        .containsEntry("skippedDamaged", List.of(JUPYTER + NEW + ".tar.gz"));
    assertThat(sync(Map.of("set", "notebooks")))
        .containsEntry("skippedDamaged", List.of(JUPYTER + NEW + ".tar.gz"))
        .containsEntry("deletes", 0L);
    assertThat(remoteOf(JUPYTER + NEW + ".tar.gz")).exists();
  }

  @Test
  void aVerifiedArchiveLostHereKeepsItsOffsiteCopyAndComesBackFromIt() throws Exception {
    sync(Map.of());
    Repository repository = new Repository(repo);
    ArchiveRef old = repository.resolve("notebooks", "jupyter-0", OLD);
    repository.verify(old, ProgressListener.NONE);
    byte[] good = Files.readAllBytes(old.path());
    Files.delete(old.path()); // a careless rm
    Path remote = remoteOf(JUPYTER + OLD + ".tar.gz");

    // listed missing, it is left out as a damaged one is: the sync deletes nothing offsite
    assertThat(sync(Map.of()))
        .containsEntry("skippedDamaged", List.of(JUPYTER + OLD + ".tar.gz"))
        .containsEntry("deletes", 0L);
    assertThat(remote).exists();

    // its record is in the way of a fetch, which says so; moved aside, the fetch brings it back
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of(
                        "set",
                        "notebooks",
                        "source",
                        "jupyter-0",
                        "archive",
                        OLD,
                        "into",
                        repo.toString())))
        .hasMessageContaining(old.manifestPath() + " is there without its archive");
    Files.move(old.manifestPath(), dir.resolve("aside.manifest.json"));
    Files.move(old.statePath(), dir.resolve("aside.state.json"));
    fetch(
        Map.of("set", "notebooks", "source", "jupyter-0", "archive", OLD, "into", repo.toString()));
    assertThat(old.path()).hasBinaryContent(good);
    assertThat(repository.list("notebooks", "jupyter-0")).noneMatch(ArchiveInfo::damaged);
  }

  @Test
  void anArchiveLostHereBeforeItsVerifyKeepsItsRecordAndItsOffsiteCopy() throws Exception {
    sync(Map.of());
    ArchiveRef lost = new Repository(repo).resolve("notebooks", "jupyter-0", NEW);
    Path remote = remoteOf(JUPYTER + NEW + ".tar.gz");
    Files.delete(lost.path()); // never verified (the verify step had not run), then lost

    // the next backup of that source is no reason to forget it
    String later = "20250103T020000Z";
    archive("notebooks", "jupyter-0", later, "the next day's notebook");
    assertThat(lost.manifestPath()).exists();
    assertThat(lost.statePath()).exists();
    assertThat(new Repository(repo).list("notebooks", "jupyter-0"))
        .filteredOn(ArchiveInfo::missing)
        .extracting(ArchiveInfo::name)
        .containsExactly(lost.name());

    // listed missing, it is left out as a damaged one is: the sync deletes nothing offsite
    assertThat(sync(Map.of()))
        .containsEntry("skippedDamaged", List.of(JUPYTER + NEW + ".tar.gz"))
        .containsEntry("keptOffsite", List.of())
        .containsEntry("deletes", 0L);
    assertThat(remote).exists();
    assertThat(remoteOf(JUPYTER + later + ".tar.gz")).exists();
  }

  @Test
  void anArchiveGoneHereWithAllItsRecordsKeepsItsOffsiteCopyUnlessAPruneDeletedIt()
      throws Exception {
    sync(Map.of());
    int before = remoteFiles().size();
    // every file of an archive deleted by hand, and a whole source taken by a sync tool
    try (Stream<Path> files = Files.list(repo.resolve(JUPYTER))) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(OLD)).toList()) {
        Files.delete(f);
      }
    }
    Rclone.deleteTree(repo.resolve("models"));

    Map<String, Object> out = sync(Map.of());
    assertThat(out)
        .containsEntry("status", "synced")
        .containsEntry("deletes", 0L)
        .containsEntry(
            "keptOffsite",
            List.of("models/llama-finetune/" + NEW + ".tar.gz", JUPYTER + OLD + ".tar.gz"));
    assertThat(context.local().warning())
        .startsWith("2 archives are offsite but not in " + repo + ", and no prune deleted them")
        .contains("leave an empty <timestamp>.pruned in its source folder");
    assertThat(remoteFiles()).hasSize(before);
    assertThat(sync(Map.of("set", "notebooks")))
        .containsEntry("deletes", 0L)
        .containsEntry("keptOffsite", List.of(JUPYTER + OLD + ".tar.gz"));
    assertThat(remoteFiles()).hasSize(before);
    // the source's latest stays offsite too: a fetch of its latest brings it back
    assertThat(fetch(Map.of("set", "models", "source", "llama-finetune")))
        .containsEntry("status", "fetched")
        .containsEntry("archive", NEW);

    // a prune's record (here one left by hand) lets the next sync delete the offsite copy
    Files.writeString(repo.resolve(JUPYTER + OLD + ".pruned"), "");
    assertThat(sync(Map.of())).containsEntry("deletes", 2L).containsEntry("keptOffsite", List.of());
    assertThat(remoteFiles()).hasSize(before - 2);
    assertThat(repo.resolve(JUPYTER + OLD + ".pruned")).as("used up").doesNotExist();
  }

  @Test
  void aPruneIsMirroredOffsiteByTheNextSync() throws Exception {
    sync(Map.of());
    Repository repository = new Repository(repo);
    ArchiveRef old = repository.resolve("notebooks", "jupyter-0", OLD);
    Path remote = remoteOf(JUPYTER + OLD + ".tar.gz");
    assertThat(repository.prune("notebooks", "jupyter-0", RetentionPolicy.keepLast(1)).deleted())
        .containsExactly(old.name());
    assertThat(old.prunedPath()).exists();

    assertThat(sync(Map.of("set", "notebooks")))
        .containsEntry("deletes", 2L)
        .containsEntry("keptOffsite", List.of());
    assertThat(remote).doesNotExist();
    assertThat(old.prunedPath()).doesNotExist();
    assertThat(check(Map.of())).containsEntry("status", "match").containsEntry("matching", 6L);
  }

  @Test
  void aFetchedArchiveIsPublishedAsABackupIsSoItsLossIsSeen() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    fetch(Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString()));
    Repository fetched = new Repository(restore);
    ArchiveRef ref = fetched.resolve("notebooks", "jupyter-0", NEW);
    assertThat(fetched.state(ref).state()).isEqualTo(ArchiveState.State.UNVERIFIED);
    assertThat(fetched.state(ref).by()).isEqualTo("fetch");
    assertThat(fetchedFiles(restore, "notebooks", "jupyter-0"))
        .containsExactly(NEW + ".manifest.json", NEW + ".state.json", NEW + ".tar.gz", "latest");

    Files.delete(ref.path());
    assertThat(fetched.list("notebooks", "jupyter-0"))
        .singleElement()
        .satisfies(a -> assertThat(a.missing()).isTrue())
        .satisfies(a -> assertThat(a.state().error()).contains("it was published by fetch at"));
  }

  @Test
  void namesOnlyOffsiteAreKeptByRulesThatMatchThemAlone() {
    OffsiteFiles.Selection selection =
        new OffsiteFiles.Selection(
            List.of(), List.of(), List.of(), java.util.Set.of("s/a/20250101T000000Z"));
    OffsiteFiles.Offsite offsite =
        OffsiteFiles.offsiteOnly(
            null,
            selection,
            List.of(
                "s/a/20250101T000000Z.tar.gz",
                "s/a/2025*[x]{y}?.tar.gz",
                "s/a/20240101T000000Z.manifest.json",
                "s/a/20240101T000000Z.tar.zst",
                "s/b/20240101T000000Z.tar.gz",
                "s/b/latest",
                "s/a/latest"),
            java.util.Set.of("s/b/20240101T000000Z"));
    assertThat(offsite.rules())
        .containsExactly(
            "- /s/a/2025\\*\\[x\\]\\{y\\}\\?.tar.gz",
            "- /s/a/20240101T000000Z.manifest.json",
            "- /s/a/20240101T000000Z.tar.zst",
            "- /s/b/latest");
    assertThat(offsite.kept())
        .containsExactly("s/a/20240101T000000Z.tar.zst", "s/a/2025*[x]{y}?.tar.gz");
    assertThat(offsite.pruned()).containsExactly("s/b/20240101T000000Z");
  }

  @Test
  void onlyArchivesManifestsAndLatestGoOffsiteSoACheckAfterDrillsPasses() throws Exception {
    Path src = repo.resolve(JUPYTER);
    assertThat(src.resolve(".lock")).exists();
    assertThat(src.resolve(NEW + ".state.json")).exists();
    Files.writeString(src.resolve(NEW + ".drill.json"), "{\"passed\":true}");
    assertThat(sync(Map.of())).containsEntry("files", 8L);
    assertThat(remoteFiles()).hasSize(8);
    // what changes after a sync: a drill's records, the state, the lock's holder
    Files.writeString(src.resolve(NEW + ".drill.json"), "{\"passed\":true,\"again\":1}");
    Files.writeString(src.resolve("last-passed-drill.json"), "{}");
    Files.writeString(src.resolve(NEW + ".state.json"), "{\"state\":\"VERIFIED\"}");
    Files.writeString(src.resolve(".lock"), "run 42 pid 7\n");
    assertThat(check(Map.of())).containsEntry("status", "match").containsEntry("matching", 8L);
    assertThat(check(Map.of("set", "notebooks"))).containsEntry("matching", 5L);
  }

  @Test
  void fetchNeverReplacesAnArchiveThatIsHere() throws Exception {
    sync(Map.of());
    Path local = repo.resolve(JUPYTER + NEW + ".tar.gz");
    byte[] good = Files.readAllBytes(local);
    byte[] manifest = Files.readAllBytes(repo.resolve(JUPYTER + NEW + ".manifest.json"));
    // the offsite copy was swapped for something else
    Files.write(remoteOf(JUPYTER + NEW + ".tar.gz"), new byte[450]);
    Map<String, Object> out = fetch(Map.of("set", "notebooks", "source", "jupyter-0"));
    assertThat(out)
        .containsEntry("status", "already here")
        .containsEntry("files", 0L)
        .containsEntry("path", local.toString());
    assertThat(local).hasBinaryContent(good);
    assertThat(repo.resolve(JUPYTER + NEW + ".manifest.json")).hasBinaryContent(manifest);

    // a damaged local archive is not passed off as fetched, nor replaced
    flipByte(local, 10);
    Files.write(local, java.util.Arrays.copyOf(Files.readAllBytes(local), good.length - 1));
    assertThatThrownBy(() -> fetch(Map.of("set", "notebooks", "source", "jupyter-0")))
        .hasMessageContaining("is here already and damaged")
        .hasMessageContaining("not replaced");
    assertThat(Files.size(local)).isEqualTo(good.length - 1);
  }

  @Test
  void fetchWaitsForTheSourceLock() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              try (var lock =
                  new Repository(restore)
                      .lockSource("notebooks", "jupyter-0", "backup-run", ProgressListener.NONE)) {
                held.countDown();
                release.await();
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    holder.start();
    held.await();
    var fetching =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return fetch(
                    Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString()));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    long deadline = System.currentTimeMillis() + 30_000;
    while (context.messages().stream().noneMatch(m -> m.contains("waiting for notebooks/jupyter-0"))
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(context.messages()).anyMatch(m -> m.contains("waiting for notebooks/jupyter-0"));
    assertThat(fetching).isNotDone();
    assertThat(restore.resolve(JUPYTER + NEW + ".tar.gz")).doesNotExist();
    release.countDown();
    assertThat(fetching.get(60, java.util.concurrent.TimeUnit.SECONDS))
        .containsEntry("status", "fetched");
    holder.join();
  }

  @Test
  void fetchRefusesAnArchiveCutShortOrWithoutItsManifestAndLeavesNothing() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    // cut at a crypt block boundary (32-byte header, then 64 KiB + 16 per block): rclone sees a
    // shorter file that decrypts cleanly
    Path remote = remoteOf(JUPYTER + NEW + ".tar.gz");
    Files.write(remote, java.util.Arrays.copyOf(Files.readAllBytes(remote), 32 + 16 + 65536));
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("offsite copy of " + JUPYTER + NEW + ".tar.gz is not usable")
        .hasMessageContaining("is 65536 bytes but its manifest says");
    assertThat(fetchedFiles(restore, "notebooks", "jupyter-0")).isEmpty();
    assertThat(restore.resolve(FetchOffsite.PARTIAL)).doesNotExist();

    // a manifest missing offsite
    Files.delete(remoteOf("models/llama-finetune/" + NEW + ".manifest.json"));
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of(
                        "set", "models", "source", "llama-finetune", "into", restore.toString())))
        .hasMessageContaining("offsite copy of models/llama-finetune/" + NEW + ".tar.gz")
        .hasMessageContaining("has no manifest");
    assertThat(fetchedFiles(restore, "models", "llama-finetune")).isEmpty();

    // the older archive is whole: it comes back, and the source lists it
    fetch(
        Map.of(
            "set", "notebooks", "source", "jupyter-0", "archive", OLD, "into", restore.toString()));
    assertThat(new Repository(restore).list("notebooks", "jupyter-0"))
        .singleElement()
        .satisfies(a -> assertThat(a.damaged()).isFalse());
  }

  @Test
  void aCorruptOffsiteCopyFailsClearlyAndLeavesNoDebris() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    Path remote = remoteOf(JUPYTER + NEW + ".tar.gz");
    flipByte(remote, (int) Files.size(remote) / 2);
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "the offsite copy of "
                + JUPYTER
                + NEW
                + " is corrupt or was made with another password")
        .hasMessageContaining("failed to authenticate decrypted block");
    assertThat(fetchedFiles(restore, "notebooks", "jupyter-0")).isEmpty();
    assertThat(restore.resolve(FetchOffsite.PARTIAL)).doesNotExist();
  }

  @Test
  void aFailedFetchLeavesNoFolderItMadeAndKeepsThoseThatWereThere() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    Path remote = remoteOf(JUPYTER + NEW + ".tar.gz");
    flipByte(remote, (int) Files.size(remote) / 2);
    // a corrupt copy into a repository that was not there: neither it nor set/source stays
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString())))
        .hasMessageContaining("is corrupt or was made with another password");
    assertThat(restore).doesNotExist();

    // sources that are not offsite, into a new source of a set that is here, and a new set
    String missing = "20200101T000000Z";
    assertThatThrownBy(
            () -> fetch(Map.of("set", "notebooks", "source", "jupyter-1", "archive", missing)))
        .hasMessageContaining("notebooks/jupyter-1");
    assertThatThrownBy(() -> fetch(Map.of("set", "lost", "source", "x", "archive", missing)))
        .hasMessageContaining("lost/x");
    try (Stream<Path> left = Files.list(repo)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("notebooks", "models");
    }
    try (Stream<Path> left = Files.list(repo.resolve("notebooks"))) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("jupyter-0");
    }

    // another password fails before anything is made
    Path r2 = dir.resolve("r2");
    OffsiteConfig good = config;
    config = OffsiteConfig.localDirectory(offsite, "another-password-entirely", SALT, repo);
    assertThatThrownBy(
            () -> fetch(Map.of("set", "models", "source", "llama-finetune", "into", r2.toString())))
        .hasMessageContaining("another password");
    assertThat(r2).doesNotExist();
    config = good;

    // folders that were there stay: one with archives, and an empty one with only a lock
    Path jupyter = repo.resolve("notebooks/jupyter-0");
    List<String> before = fetchedFiles(repo, "notebooks", "jupyter-0");
    assertThatThrownBy(
            () -> fetch(Map.of("set", "notebooks", "source", "jupyter-0", "archive", missing)))
        .hasMessageContaining("is not in");
    assertThat(fetchedFiles(repo, "notebooks", "jupyter-0")).isEqualTo(before).isNotEmpty();
    assertThat(jupyter.resolve(".lock")).exists();
    Path old = Files.createDirectories(restore.resolve("notebooks/jupyter-0"));
    Files.writeString(old.resolve(".lock"), "");
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString())))
        .hasMessageContaining("is corrupt");
    assertThat(old.resolve(".lock")).exists();
    assertThat(restore.resolve(FetchOffsite.PARTIAL)).doesNotExist();
  }

  @Test
  void fetchIntoAFolderOutsideTheRepositoryAndArchiveRootsIsRefusedBeforeFetching()
      throws Exception {
    sync(Map.of());
    launched.clear();
    for (String into :
        List.of(
            dir.resolve("x/etc").toString(),
            dir.resolve("restore/../x").toString(),
            "relative/folder")) {
      assertThatThrownBy(
              () -> fetch(Map.of("set", "models", "source", "llama-finetune", "into", into)))
          .isInstanceOfSatisfying(
              ActionException.class,
              e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT))
          .hasMessageContaining("fetch-offsite: into");
    }
    assertThat(dir.resolve("x")).doesNotExist();
    assertThat(launched).isEmpty();
    // a link inside an archive root that leads out of it is outside too
    Files.createDirectories(dir.resolve("restore"));
    Files.createDirectories(dir.resolve("x"));
    Files.createSymbolicLink(dir.resolve("restore/link"), dir.resolve("x"));
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of(
                        "set",
                        "models",
                        "source",
                        "llama-finetune",
                        "into",
                        dir.resolve("restore/link/etc").toString())))
        .hasMessageContaining("really");
    // inside an archive root, and the repository itself, are fine
    assertThat(
            fetch(
                Map.of(
                    "set",
                    "models",
                    "source",
                    "llama-finetune",
                    "into",
                    dir.resolve("restore/drive").toString())))
        .containsEntry("status", "fetched");
    assertThat(fetch(Map.of("set", "models", "source", "llama-finetune", "into", repo.toString())))
        .containsEntry("status", "already here");
  }

  @Test
  void anotherPasswordIsNamedNotMistakenForAnEmptyCopy() throws Exception {
    sync(Map.of());
    int before = remoteFiles().size();
    config = OffsiteConfig.localDirectory(offsite, "another-password-entirely", SALT, repo);
    assertThatThrownBy(() -> fetch(Map.of("set", "notebooks", "source", "jupyter-0")))
        .hasMessageContaining("was written with another password (or salt)");
    assertThatThrownBy(() -> sync(Map.of()))
        .hasMessageContaining("was written with another password (or salt)");
    assertThatThrownBy(() -> check(Map.of()))
        .hasMessageContaining("was written with another password (or salt)");
    config = OffsiteConfig.localDirectory(offsite, PASSWORD, "another-salt", repo);
    assertThatThrownBy(() -> sync(Map.of()))
        .hasMessageContaining("was written with another password (or salt)");
    assertThat(remoteFiles()).hasSize(before);
  }

  @Test
  void syncLeavesOnlyCiphertextOffsiteAndCheckPasses() throws Exception {
    Map<String, Object> out = sync(Map.of());
    assertThat(out).containsEntry("status", "synced").containsEntry("files", 8L);
    assertThat((long) out.get("bytes")).isGreaterThan(3 * 4096);
    assertThat(out).doesNotContainKey("reason");

    List<Path> remote = remoteFiles();
    assertThat(remote).hasSize(8);
    try (Stream<Path> walk = Files.walk(offsite)) {
      assertThat(walk.map(p -> offsite.relativize(p).toString()))
          .noneMatch(
              n ->
                  n.contains("notebooks")
                      || n.contains("jupyter")
                      || n.contains(NEW)
                      || n.contains("latest")
                      || n.contains("manifest"));
    }
    for (Path f : remote) {
      String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      assertThat(bytes)
          .doesNotContain(SECRET_CONTENT)
          .doesNotContain("model weights")
          .doesNotContain(NEW);
    }
    assertThat(context.local().progressCalls()).isPositive();

    assertThat(check(Map.of())).containsEntry("status", "match").containsEntry("matching", 8L);
    // a second sync transfers nothing new
    assertThat(sync(Map.of())).containsEntry("status", "synced").containsEntry("files", 0L);
  }

  @Test
  void fetchBringsBackTheLatestArchiveByteForByte() throws Exception {
    sync(Map.of());
    Path restore = dir.resolve("restore");
    Map<String, Object> out =
        fetch(Map.of("set", "notebooks", "source", "jupyter-0", "into", restore.toString()));
    Path src = repo.resolve("notebooks/jupyter-0");
    Path dst = restore.resolve("notebooks/jupyter-0");
    assertThat(out)
        .containsEntry("archive", NEW)
        .containsEntry("path", dst.resolve(NEW + ".tar.gz").toString())
        .containsEntry("files", 3L);
    for (String name : List.of(NEW + ".tar.gz", NEW + ".manifest.json", "latest")) {
      assertThat(dst.resolve(name)).hasSameBinaryContentAs(src.resolve(name));
    }
    assertThat(dst.resolve(OLD + ".tar.gz")).doesNotExist();

    // an older archive by name, without touching the latest pointer
    Files.writeString(dst.resolve("latest"), NEW + "\n");
    fetch(
        Map.of(
            "set",
            "notebooks",
            "source",
            "jupyter-0",
            "archive",
            OLD + ".tar.gz",
            "into",
            restore.toString()));
    assertThat(dst.resolve(OLD + ".tar.gz")).hasSameBinaryContentAs(src.resolve(OLD + ".tar.gz"));
    assertThat(dst.resolve(OLD + ".manifest.json"))
        .hasSameBinaryContentAs(src.resolve(OLD + ".manifest.json"));
    assertThat(dst.resolve("latest")).hasContent(NEW);
  }

  @Test
  void aSourceNamedUserAtHostIsFetchedByTheRepositorysOwnNameRule() throws Exception {
    archive("db", "db@host", NEW, "a database dump");
    sync(Map.of());
    Path restore = dir.resolve("restore");
    Map<String, Object> out =
        fetch(Map.of("set", "db", "source", "db@host", "into", restore.toString()));
    assertThat(out).containsEntry("source", "db@host").containsEntry("archive", NEW);
    assertThat(restore.resolve("db/db@host/" + NEW + ".tar.gz"))
        .hasSameBinaryContentAs(repo.resolve("db/db@host/" + NEW + ".tar.gz"));
    assertThatThrownBy(() -> fetch(Map.of("set", "db", "source", "latest")))
        .hasMessageContaining("fetch-offsite: source 'latest' is not a usable name");
  }

  @Test
  void fetchOfAnArchiveThatIsNotOffsiteFails() throws Exception {
    sync(Map.of());
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of(
                        "set",
                        "notebooks",
                        "source",
                        "jupyter-0",
                        "archive",
                        "20200101T000000Z",
                        "into",
                        dir.resolve("restore").toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("archive 20200101T000000Z of notebooks/jupyter-0 is not in");
    assertThatThrownBy(
            () ->
                fetch(
                    Map.of(
                        "set",
                        "notebooks",
                        "source",
                        "nobody",
                        "into",
                        dir.resolve("r2").toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no 'latest' archive for notebooks/nobody");
    assertThatThrownBy(() -> fetch(Map.of("set", "../etc", "source", "x")))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT));
  }

  @Test
  void tamperedOrMissingRemoteFilesFailTheCheck() throws Exception {
    sync(Map.of());
    List<Path> remote = remoteFiles();
    Path victim =
        remote.stream()
            .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length()))
            .orElseThrow();
    byte[] bytes = Files.readAllBytes(victim);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(victim, bytes);

    assertThatThrownBy(() -> check(Map.of()))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.CHECK_FAILED))
        .hasMessageContaining("differs from")
        .hasMessageContaining("1 file(s)")
        .hasMessageContaining(".tar.gz (content differs)");

    Files.delete(remote.stream().filter(p -> !p.equals(victim)).findFirst().orElseThrow());
    assertThatThrownBy(() -> check(Map.of()))
        .hasMessageContaining("2 file(s)")
        .hasMessageContaining("(missing offsite)");
  }

  @Test
  void oneSetAtATime() throws Exception {
    assertThat(sync(Map.of("set", "models"))).containsEntry("files", 3L);
    assertThat(check(Map.of("set", "models"))).containsEntry("matching", 3L);
    assertThatThrownBy(() -> check(Map.of()))
        .hasMessageContaining("notebooks/jupyter-0/" + NEW + ".tar.gz (missing offsite)");
    assertThatThrownBy(() -> sync(Map.of("set", "datasets")))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT));
  }

  @Test
  void unmountedDriveMeansSkippedNotFailed() throws Exception {
    config =
        OffsiteConfig.localDirectory(
            dir.resolve("not-mounted").resolve("lifeboat"), PASSWORD, SALT, repo);
    Map<String, Object> out = sync(Map.of());
    assertThat(out).containsEntry("status", "skipped: offline").containsEntry("files", 0L);
    assertThat((String) out.get("reason")).contains("not-mounted").contains("not mounted?");
    assertThat(dir.resolve("not-mounted")).doesNotExist();
    // a check that cannot look must not pass
    assertThatThrownBy(() -> check(Map.of()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("cannot check");
  }

  @Test
  void unreachableNetworkBackendMeansSkipped() throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.remove("AWS_CA_BUNDLE"); // rclone 1.60 cannot use a custom CA bundle with its own transport
    rclone = new Rclone(ProgramRunner.withEnvironment(env).withLaunchListener(launched::add));
    config =
        OffsiteConfig.s3(
            "Other",
            "http://127.0.0.1:1",
            "us-east-1",
            "AKIATESTKEY",
            "s3-secret-key-value-99",
            "backups/lifeboat",
            PASSWORD,
            SALT,
            repo);
    Map<String, Object> out = sync(Map.of());
    assertThat(out).containsEntry("status", "skipped: offline");
    assertThat((String) out.get("reason"))
        .contains("s3:backups/lifeboat unreachable")
        .contains("connection refused");
    assertThat(String.join("\n", context.logLines()) + out + launched)
        .doesNotContain("s3-secret-key-value-99");
  }

  @Test
  void emptyRepositoryIsNeverMirroredOverTheOffsiteCopy() throws Exception {
    sync(Map.of());
    Path empty = Files.createDirectories(dir.resolve("fresh-drive"));
    assertThatThrownBy(() -> sync(Map.of("repository", empty.toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("holds no files");
    assertThat(remoteFiles()).hasSize(8);
  }

  @Test
  void secretNeverAppearsInLogsOutputsErrorsOrCommandLines() throws Exception {
    sync(Map.of());
    check(Map.of());
    fetch(
        Map.of(
            "set",
            "models",
            "source",
            "llama-finetune",
            "into",
            dir.resolve("restore").toString()));
    Files.write(remoteFiles().get(0), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> check(Map.of())).isInstanceOf(ActionException.class);

    String everything =
        String.join("\n", context.logLines())
            + "\n"
            + String.join("\n", context.messages())
            + "\n"
            + seen
            + "\n"
            + launched
            + "\n"
            + config;
    assertThat(context.logLines()).isNotEmpty();
    assertThat(launched).anyMatch(argv -> argv.contains("obscure"));
    assertThat(everything).doesNotContain(PASSWORD).doesNotContain(SALT);
    // the private config files are gone
    for (List<String> argv : launched) {
      int i = argv.indexOf("--config");
      if (i >= 0) {
        assertThat(Path.of(argv.get(i + 1))).doesNotExist();
        assertThat(Path.of(argv.get(i + 1)).getParent()).doesNotExist();
      }
    }
  }

  @Test
  void configFileIsPrivateAndHoldsNoPlainPassword() throws Exception {
    Path file;
    try (Rclone.Session session = rclone.open(config, context)) {
      file = session.configFile();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
          .isEqualTo("rwx------");
      assertThat(Files.readString(file))
          .contains("type = crypt")
          .doesNotContain(PASSWORD)
          .doesNotContain(SALT);
    }
    assertThat(file).doesNotExist();
    assertThat(config.toString()).doesNotContain(PASSWORD);
  }

  @Test
  void missingRcloneGivesTheInstallHint() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty-bin"));
    rclone =
        new Rclone(ProgramRunner.fromEnvironment().withVariables(Map.of("PATH", empty.toString())));
    assertThatThrownBy(() -> sync(Map.of()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("rclone was not found")
        .hasMessageContaining("apt-get install rclone");
  }
}
