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
  private final Path runDir;
  private final String helm;

  private WorkerSettings(
      Path repository,
      Path playbooks,
      OffsiteConfig offsite,
      List<Path> archiveRoots,
      Path runDir,
      String helm) {
    this.repository = repository.toAbsolutePath().normalize();
    this.playbooks = playbooks.toAbsolutePath().normalize();
    this.offsite = offsite;
    this.archiveRoots = List.copyOf(archiveRoots);
    this.runDir = runDir == null ? null : runDir.toAbsolutePath().normalize();
    this.helm = helm == null || helm.isBlank() ? "helm" : helm;
  }

  /**
   * @param playbooks where relative playbook and inventory paths of the ansible action are resolved
   */
  public static WorkerSettings of(Path repository, Path playbooks) {
    return new WorkerSettings(repository, playbooks, null, List.of(), null, null);
  }

  public WorkerSettings withOffsite(OffsiteConfig config) {
    return new WorkerSettings(repository, playbooks, config, archiveRoots, runDir, helm);
  }

  /**
   * Where an {@code archive} given as an absolute path may lie besides the repository
   * (LIFEBOAT_ARCHIVE_ROOTS).
   */
  public WorkerSettings withArchiveRoots(List<Path> roots) {
    return new WorkerSettings(repository, playbooks, offsite, roots, runDir, helm);
  }

  public List<Path> archiveRoots() {
    return archiveRoots;
  }

  /**
   * Where pid files of running child programs are kept (default: {@code run/programs} beside the
   * repository).
   */
  public WorkerSettings withRunDir(Path dir) {
    return new WorkerSettings(repository, playbooks, offsite, archiveRoots, dir, helm);
  }

  /** The helm program the helm action runs (configuration, never a run parameter). */
  public WorkerSettings withHelm(String program) {
    return new WorkerSettings(repository, playbooks, offsite, archiveRoots, runDir, program);
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
