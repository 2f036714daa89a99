package dev.lifeboat.worker;

import dev.lifeboat.activities.offsite.OffsiteConfig;
import java.nio.file.Path;
import java.util.Optional;

/** What the actions need from configuration. */
public final class WorkerSettings {
  private final Path repository;
  private final Path playbooks;
  private final OffsiteConfig offsite;
  private final Path runDir;
  private final String helm;

  private WorkerSettings(Path repository, Path playbooks, OffsiteConfig offsite, Path runDir, String helm) {
    this.repository = repository.toAbsolutePath().normalize();
    this.playbooks = playbooks.toAbsolutePath().normalize();
    this.offsite = offsite;
    this.runDir = runDir == null ? null : runDir.toAbsolutePath().normalize();
    this.helm = helm == null || helm.isBlank() ? "helm" : helm;
  }

  /** @param playbooks where relative playbook and inventory paths of the ansible action are resolved */
  public static WorkerSettings of(Path repository, Path playbooks) {
    return new WorkerSettings(repository, playbooks, null, null, null);
  }

  public WorkerSettings withOffsite(OffsiteConfig config) {
    return new WorkerSettings(repository, playbooks, config, runDir, helm);
  }

  /** Where pid files of running child programs are kept (default: {@code run/programs} beside the repository). */
  public WorkerSettings withRunDir(Path dir) {
    return new WorkerSettings(repository, playbooks, offsite, dir, helm);
  }

  /** The helm program the helm action runs (configuration, never a run parameter). */
  public WorkerSettings withHelm(String program) {
    return new WorkerSettings(repository, playbooks, offsite, runDir, program);
  }

  public Path runDir() {
    if (runDir != null) {
      return runDir;
    }
    Path parent = repository.getParent();
    return (parent == null ? repository : parent).resolve("run").resolve("programs");
  }

  public String helm() {
    return helm;
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
