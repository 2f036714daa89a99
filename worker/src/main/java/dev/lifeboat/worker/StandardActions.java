package dev.lifeboat.worker;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.action.Unavailable;
import dev.lifeboat.activities.ansible.RunPlaybook;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.ProgramGroups;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.activities.command.RunCommand;
import dev.lifeboat.activities.git.CloneRepository;
import dev.lifeboat.activities.helm.UpgradeRelease;
import dev.lifeboat.activities.kubernetes.ApplyResources;
import dev.lifeboat.activities.kubernetes.KubernetesActions;
import dev.lifeboat.activities.kubernetes.KubernetesClients;
import dev.lifeboat.activities.kubernetes.PodTar;
import dev.lifeboat.activities.kubernetes.PodVolumes;
import dev.lifeboat.activities.local.BackupAction;
import dev.lifeboat.activities.local.PruneAction;
import dev.lifeboat.activities.local.RestoreAction;
import dev.lifeboat.activities.local.RestoreDrillAction;
import dev.lifeboat.activities.local.VerifyAction;
import dev.lifeboat.activities.offsite.CheckOffsite;
import dev.lifeboat.activities.offsite.FetchOffsite;
import dev.lifeboat.activities.offsite.OffsiteConfig;
import dev.lifeboat.activities.offsite.Rclone;
import dev.lifeboat.activities.offsite.SyncOffsite;
import dev.lifeboat.activities.repository.CheckRepository;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every action a Lifeboat worker offers, wired to its dependencies. */
public final class StandardActions {
  private static final String NO_OFFSITE =
      "no offsite copy is configured (set offsite.type, offsite.remotePath and "
          + "LIFEBOAT_OFFSITE_PASSWORD; see docs/operations.md)";

  private static final Logger LOG = LoggerFactory.getLogger(StandardActions.class);

  private StandardActions() {}

  /**
   * What a killed writer left (partial archives, manifests without archive) goes at start, and is
   * logged.
   */
  private static void cleanLeftovers(Repository repository) {
    try {
      List<String> removed = repository.cleanLeftovers();
      if (!removed.isEmpty()) {
        LOG.info(
            "removed {} leftover(s) of interrupted writes from {}: {}",
            removed.size(),
            repository.root(),
            removed);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "could not look for leftovers of interrupted writes in {}: {}",
          repository.root(),
          e.toString());
    }
  }

  public static ActionRegistry create(WorkerSettings settings) {
    return create(settings, KubernetesClients.shared());
  }

  /**
   * @param kubernetes the cluster client, built on first use (in-cluster config in a pod,
   *     kubeconfig elsewhere)
   */
  public static ActionRegistry create(
      WorkerSettings settings, Supplier<KubernetesClient> kubernetes) {
    ProgramRunner programs =
        ProgramRunner.fromEnvironment().withGroups(ProgramGroups.recordedIn(settings.runDir()));
    ActionRegistry registry = new ActionRegistry();
    Repository repository = new Repository(settings.repository(), settings.archiveRoots());
    cleanLeftovers(repository);
    PodVolumes volumes = new PodVolumes(kubernetes);
    registry.register(new BackupAction(repository, volumes));
    registry.register(new VerifyAction(repository, new PodTar(kubernetes)));
    registry.register(new RestoreAction(repository, volumes));
    registry.register(new PruneAction(repository));
    registry.register(new RestoreDrillAction(repository));
    registry.register(new dev.lifeboat.activities.local.WaitAction());
    KubernetesActions.all(kubernetes).forEach(registry::register);
    registry.register(new RunCommand(programs));
    registry.register(
        new dev.lifeboat.activities.notify.Notify(System.getenv("LIFEBOAT_NOTIFY_URL")));
    registry.register(new RunPlaybook(programs, settings.playbooks()));
    registry.register(new CloneRepository(programs));
    registry.register(new UpgradeRelease(programs, settings.helm()));
    if (settings.offsite().isPresent()) {
      OffsiteConfig offsite = settings.offsite().get();
      Rclone rclone = new Rclone(programs);
      registry.register(new SyncOffsite(rclone, offsite));
      registry.register(new CheckOffsite(rclone, offsite));
      registry.register(new FetchOffsite(rclone, offsite, settings.archiveRoots()));
    } else {
      registry.register(
          Unavailable.named(
              "sync-offsite",
              "Copy the repository to the encrypted offsite remote",
              SyncOffsite.Args.class,
              NO_OFFSITE));
      registry.register(
          Unavailable.named(
              "check-offsite",
              "Compare the repository with the offsite copy",
              CheckOffsite.Args.class,
              NO_OFFSITE));
      registry.register(
          Unavailable.named(
              "fetch-offsite",
              "Bring archives back from the offsite copy",
              FetchOffsite.Args.class,
              NO_OFFSITE));
    }
    // recovery scenarios: is the drive there, recreate the claims of a lost cluster
    registry.register(new CheckRepository(settings.repository()));
    registry.register(new ApplyResources(kubernetes, repository));
    return registry;
  }
}
