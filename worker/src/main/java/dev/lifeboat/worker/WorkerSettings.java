package dev.lifeboat.worker;

import dev.lifeboat.activities.offsite.OffsiteConfig;
import java.nio.file.Path;
import java.util.Optional;

/** What the actions need from configuration. */
public final class WorkerSettings {
  private final Path repository;
  private final Path playbooks;
  private final OffsiteConfig offsite;

  private WorkerSettings(Path repository, Path playbooks, OffsiteConfig offsite) {
    this.repository = repository.toAbsolutePath().normalize();
    this.playbooks = playbooks.toAbsolutePath().normalize();
    this.offsite = offsite;
  }

  /** @param playbooks where relative playbook and inventory paths of the ansible action are resolved */
  public static WorkerSettings of(Path repository, Path playbooks) {
    return new WorkerSettings(repository, playbooks, null);
  }

  public WorkerSettings withOffsite(OffsiteConfig config) {
    return new WorkerSettings(repository, playbooks, config);
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
