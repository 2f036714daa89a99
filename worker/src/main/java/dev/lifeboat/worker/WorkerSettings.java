package dev.lifeboat.worker;

import dev.lifeboat.activities.offsite.OffsiteConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the actions need from configuration. */
public final class WorkerSettings {
  private final Path repository;
  private final Path playbooks;
  private final OffsiteConfig offsite;
  private final List<Path> archiveRoots;

  private WorkerSettings(Path repository, Path playbooks, OffsiteConfig offsite, List<Path> archiveRoots) {
    this.repository = repository.toAbsolutePath().normalize();
    this.playbooks = playbooks.toAbsolutePath().normalize();
    this.offsite = offsite;
    this.archiveRoots = List.copyOf(archiveRoots);
  }

  /** @param playbooks where relative playbook and inventory paths of the ansible action are resolved */
  public static WorkerSettings of(Path repository, Path playbooks) {
    return new WorkerSettings(repository, playbooks, null, List.of());
  }

  public WorkerSettings withOffsite(OffsiteConfig config) {
    return new WorkerSettings(repository, playbooks, config, archiveRoots);
  }

  /** Where an {@code archive} given as an absolute path may lie besides the repository (LIFEBOAT_ARCHIVE_ROOTS). */
  public WorkerSettings withArchiveRoots(List<Path> roots) {
    return new WorkerSettings(repository, playbooks, offsite, roots);
  }

  public List<Path> archiveRoots() {
    return archiveRoots;
  }

  public Path repository() {
    return repository;
  }

  public Path playbooks() {
    return playbooks;
  }

  public Optional<OffsiteConfig> offsite() {
    return Optional.ofNullable(offsite);
  }
}
