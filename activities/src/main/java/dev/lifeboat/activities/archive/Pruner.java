package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Retention: deletes the archives of a source that a {@link RetentionPolicy} does not keep, under
 * the source lock, and pins archives so that no prune deletes them.
 */
final class Pruner {
  /** Reads an archive whole as verify does, under the prune's lock; throws if it is damaged. */
  interface Reverify {
    void verify(ArchiveRef ref, ProgressListener listener) throws IOException;
  }

  /** A verify older than this is repeated before a prune deletes what it vouches for. */
  static final java.time.Duration FRESH_VERIFY = java.time.Duration.ofHours(1);

  private final Catalog catalog;
  private final Clock clock;
  private final Reverify reverify;

  Pruner(Catalog catalog, Clock clock, Reverify reverify) {
    this.catalog = catalog;
    this.clock = clock;
    this.reverify = reverify;
  }

  /** Marks an archive as pinned: prune never deletes it. */
  void pin(ArchiveRef ref) throws IOException {
    try {
      RepositoryFiles.writeAtomically(
          ref.pinPath(), ("pinned " + clock.instant() + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      ReadOnlyRepository.throwIfSo(ref, "pin", e);
      throw e;
    }
  }

  void unpin(ArchiveRef ref) throws IOException {
    try {
      Files.deleteIfExists(ref.pinPath());
    } catch (IOException e) {
      ReadOnlyRepository.throwIfSo(ref, "unpin", e);
      throw e;
    }
  }

  /**
   * Deletes the archives of one source that {@code policy} does not keep (see {@link
   * RetentionPolicy}): only good archives count; pinned ones, the newest good and the newest
   * verified one always stay; damaged ones are kept for forensics, delete them by hand, and so is
   * the record (manifest, state) of an archive whose file went missing ({@code missing}). Sidecars
   * go with their archive, and {@code <stem>.pruned} stays as the record that the prune deleted it
   * (for sync-offsite); {@code latest} moves to the newest good archive. Holds the source lock, so
   * a prune waits for a backup, verify, restore or drill of the same source to finish and never
   * deletes an archive while it is read. With {@code dryRun} nothing is deleted: the result lists
   * what would go.
   */
  PruneResult prune(
      String set, String source, RetentionPolicy policy, boolean dryRun, ProgressListener listener)
      throws IOException {
    Path dir = catalog.existingSourceDir(set, source);
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    SourceLock held;
    try {
      held = SourceLock.acquire(dir, set + "/" + source, l.runId(), l);
    } catch (IOException e) {
      // a read-only repository cannot be pruned here: named once, not retried
      RepositoryFiles.throwIfUnwritable(dir.getParent().getParent(), dir, "a prune", e);
      throw e;
    }
    try (SourceLock lock = held) {
      return pruneLocked(set, source, dir, policy, dryRun, l);
    }
  }

  private PruneResult pruneLocked(
      String set,
      String source,
      Path dir,
      RetentionPolicy policy,
      boolean dryRun,
      ProgressListener listener)
      throws IOException {
    List<ArchiveInfo> all = catalog.listSource(set, source);
    List<RetentionPolicy.Decision> decisions = decide(policy, all);
    // Every deletion relies on the newest verified archive staying good. Checked long ago, it is
    // read again first: one found damaged now is passed over and the next one vouches instead.
    java.util.Set<String> failed = new java.util.HashSet<>();
    while (!dryRun && decisions.stream().anyMatch(d -> !d.keep())) {
      Optional<ArchiveInfo> vouching =
          all.stream()
              .filter(ArchiveInfo::verified)
              .filter(a -> !failed.contains(a.name()))
              .max(Comparator.comparing(ArchiveInfo::name));
      if (vouching.isEmpty() || freshlyVerified(vouching.get())) {
        break;
      }
      listener.message(
          "verifying "
              + vouching.get().name()
              + " again before deleting older archives (last verified "
              + vouching.get().state().at()
              + ")");
      try {
        reverify.verify(vouching.get().ref(), listener);
        break;
      } catch (DamagedArchive e) {
        listener.message(e.getMessage());
        failed.add(vouching.get().name());
        ArchiveStates.markDamaged(
            catalog, vouching.get().ref(), clock.instant(), "prune", e.getMessage());
        all = catalog.listSource(set, source);
        decisions = decide(policy, all);
      }
    }
    Map<String, ArchiveInfo> byName = new LinkedHashMap<>();
    all.forEach(a -> byName.put(a.name(), a));
    for (ArchiveInfo a : all) {
      if (a.missing()) {
        listener.message(a.state().error() + "; the prune keeps this record");
      }
    }
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
        if (!dryRun && !a.missing()) {
          // a record left by a prune that decided otherwise and stopped before the delete
          Files.deleteIfExists(a.ref().prunedPath());
        }
        continue;
      }
      deleted.add(d.name());
      deletedBecause.put(d.name(), d.reasons().get(0));
      if (!dryRun) {
        // First the record that a prune deleted it (<stem>.pruned), on disk before anything goes:
        // sync-offsite deletes only offsite copies of archives it names, and sidecars beside it
        // are a prune's leftovers, never a loss. Then the state records, then the archive: a prune
        // that dies halfway leaves an unverified archive, or sidecars the next write to this
        // source removes as leftovers. Sidecars beside no archive and no such record are a backup
        // that went missing (ArchiveStates.lostBackup).
        ArchiveRef ref = a.ref();
        recordPruned(ref, d.reasons().get(0), listener);
        Files.deleteIfExists(ref.statePath());
        Files.deleteIfExists(ref.verifiedPath());
        Files.deleteIfExists(a.path());
        Files.deleteIfExists(ref.manifestPath());
        Files.deleteIfExists(ref.drillPath());
        Files.deleteIfExists(ref.pinPath());
      }
    }
    if (!dryRun) {
      List<ArchiveInfo> good = all.stream().filter(a -> !a.damaged()).toList();
      Optional<String> current = RepositoryFiles.readLatest(dir);
      Optional<String> newestGood =
          good.stream()
              .map(ArchiveInfo::name)
              .filter(n -> !deleted.contains(n))
              .max(Comparator.naturalOrder());
      // the pointer file names the newest good archive, as latest means
      if (!current.equals(newestGood)) {
        if (newestGood.isPresent()) {
          RepositoryFiles.writeLatest(dir, newestGood.get());
        } else {
          Files.deleteIfExists(dir.resolve(ArchiveNames.LATEST));
        }
      }
      if (!deleted.isEmpty()) {
        RepositoryFiles.fsyncDirectory(dir);
      }
    }
    return new PruneResult(
        set, source, dryRun, deleted, kept, keptBecause, deletedBecause, keptBytes);
  }

  /**
   * Writes {@code <stem>.pruned}. A disk too full for it must not stop the prune that would free
   * it: the archive goes without the record, and sync-offsite keeps its offsite copy (and says so).
   */
  private void recordPruned(ArchiveRef ref, String why, ProgressListener listener)
      throws IOException {
    try {
      RepositoryFiles.writeAtomically(
          ref.prunedPath(),
          ("pruned " + clock.instant() + ": " + why + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException | dev.lifeboat.activities.action.ActionException e) {
      if (!RepositoryFiles.isDiskFull(e)) {
        throw e;
      }
      listener.message(
          "the disk is full: "
              + ref.name()
              + " is deleted without its record "
              + ref.prunedPath().getFileName()
              + ", so sync-offsite keeps its offsite copy");
    }
  }

  /** An unverified archive this young may be one a running backup has yet to verify. */
  static final java.time.Duration AWAITING_VERIFY = java.time.Duration.ofHours(6);

  private List<RetentionPolicy.Decision> decide(RetentionPolicy policy, List<ArchiveInfo> all) {
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
    // A backup's archive and verify are two steps with the lock let go between them: an archive
    // newer than the newest verified one, written in the last hours and neither verified nor
    // damaged, is not judged yet (a prune once deleted one under a running backup, whose verify
    // then failed). A quota still counts it.
    String newestVerified =
        all.stream()
            .filter(ArchiveInfo::verified)
            .map(ArchiveInfo::name)
            .max(Comparator.naturalOrder())
            .orElse("");
    java.time.Instant young = clock.instant().minus(AWAITING_VERIFY);
    Map<String, ArchiveInfo> byName = new LinkedHashMap<>();
    all.forEach(a -> byName.put(a.name(), a));
    List<RetentionPolicy.Decision> out = new ArrayList<>();
    for (RetentionPolicy.Decision d : decisions) {
      ArchiveInfo a = byName.get(d.name());
      boolean awaiting =
          !d.keep()
              && d.reasons().contains("no rule keeps it")
              && !a.verified()
              && !a.damaged()
              // where nothing was ever verified, no run is judged by verifies: none is waited for
              && !newestVerified.isEmpty()
              && a.name().compareTo(newestVerified) > 0
              && a.createdAt().isAfter(young);
      if (a.missing()) {
        // kept as damaged ones are, and named for what it is: the record of a backup that is gone
        out.add(
            new RetentionPolicy.Decision(
                d.name(),
                true,
                d.reasons().stream().map(r -> r.equals("damaged") ? "missing" : r).toList()));
        continue;
      }
      out.add(
          awaiting ? new RetentionPolicy.Decision(d.name(), true, List.of("awaitingVerify")) : d);
    }
    return out;
  }

  // the listing turns a verified archive written to since into an unverified one; a record that
  // does not say which file it vouched for (an older verify's) is read again
  private boolean freshlyVerified(ArchiveInfo a) {
    java.time.Instant at = a.state().at();
    return at != null
        && a.state().archiveModified() != null
        && at.isAfter(clock.instant().minus(FRESH_VERIFY));
  }
}
