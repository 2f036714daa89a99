package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Test stand-ins for {@code backup}, {@code verify} and {@code restore} with the pod and PVC arguments
 * the runbooks use, over {@link MemoryArchives} and the real {@link PodVolumes}. The real actions live
 * with the archive engine, which has not been merged into this branch.
 */
final class StandInArchiveActions {
  private StandInArchiveActions() {}

  static List<Action<?>> all(Supplier<KubernetesClient> clients, MemoryArchives archives) {
    return List.of(new Backup(clients, archives), new Verify(clients, archives), new Restore(clients, archives));
  }

  record BackupArgs(@Arg(required = false) String from, @Arg(required = false) String path,
      @Arg(required = false) String set, @Arg(required = false) String source,
      @Arg(required = false) String namespace, @Arg(required = false) String pod,
      @Arg(required = false) String workload, @Arg(required = false) String container,
      @Arg(required = false) List<String> paths, @Arg(required = false) String pvc,
      @Arg(required = false) List<String> includes, @Arg(required = false) List<String> excludes) {}

  record VerifyArgs(@Arg(required = false) String archive, @Arg(required = false) String set,
      @Arg(required = false) String source, @Arg(required = false) String from,
      @Arg(required = false) String namespace, @Arg(required = false) String pod,
      @Arg(required = false) String workload, @Arg(required = false) String container,
      @Arg(required = false) String path) {}

  record RestoreArgs(@Arg(required = false) String to, @Arg(required = false) String path,
      @Arg(required = false) String set, @Arg(required = false) String source,
      @Arg(required = false) String archive, @Arg(required = false) Boolean clean,
      @Arg(required = false) String namespace, @Arg(required = false) String pod,
      @Arg(required = false) String workload, @Arg(required = false) String container,
      @Arg(required = false) String pvc) {}

  static final class Backup implements Action<BackupArgs> {
    final PodVolumes volumes;
    final MemoryArchives archives;

    Backup(Supplier<KubernetesClient> clients, MemoryArchives archives) {
      this.volumes = new PodVolumes(clients);
      this.archives = archives;
    }

    public String name() {
      return "backup";
    }

    public String description() {
      return "stand-in backup (pod, pvc)";
    }

    public Class<BackupArgs> argumentsType() {
      return BackupArgs.class;
    }

    public Object run(BackupArgs a, ActionContext ctx) throws Exception {
      if (!"pod".equals(a.from()) && !"pvc".equals(a.from())) {
        throw ActionException.invalid("stand-in backup supports from: pod|pvc only");
      }
      return volumes.backup(new PodVolumes.Location(a.namespace(), a.pod(), a.workload(), a.container(), a.pvc(), null,
          null), a.path(), a.paths(), archives, a.set(), a.source(), ctx);
    }
  }

  static final class Verify implements Action<VerifyArgs> {
    final PodTar tar;
    final MemoryArchives archives;

    Verify(Supplier<KubernetesClient> clients, MemoryArchives archives) {
      this.tar = new PodTar(clients);
      this.archives = archives;
    }

    public String name() {
      return "verify";
    }

    public String description() {
      return "stand-in verify (archive, or pod content against an archive)";
    }

    public Class<VerifyArgs> argumentsType() {
      return VerifyArgs.class;
    }

    public Object run(VerifyArgs a, ActionContext ctx) throws Exception {
      MemoryArchives.Resolved r = archives.resolve(a.set(), a.source(), a.archive());
      Map<String, String> want = MemoryArchives.digests(r.bytes());
      if (want.isEmpty()) {
        throw ActionException.check("archive " + r.name() + " is empty");
      }
      if ("pod".equals(a.from())) {
        PodRef ref = tar.resolve(a.namespace(), a.pod(), a.workload(), a.container());
        Map<String, String> have;
        try (InputStream in = tar.archive(ref, a.path(), List.of("."))) {
          have = MemoryArchives.digests(in.readAllBytes());
        }
        if (!have.equals(want)) {
          throw ActionException.check("files in " + ref + " " + a.path() + " differ from archive " + r.name());
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("archive", r.name());
      out.put("files", want.size());
      out.put("ok", true);
      return out;
    }
  }

  static final class Restore implements Action<RestoreArgs> {
    final PodVolumes volumes;
    final MemoryArchives archives;

    Restore(Supplier<KubernetesClient> clients, MemoryArchives archives) {
      this.volumes = new PodVolumes(clients);
      this.archives = archives;
    }

    public String name() {
      return "restore";
    }

    public String description() {
      return "stand-in restore (pod, pvc)";
    }

    public Class<RestoreArgs> argumentsType() {
      return RestoreArgs.class;
    }

    public Object run(RestoreArgs a, ActionContext ctx) throws Exception {
      if (!"pod".equals(a.to()) && !"pvc".equals(a.to())) {
        throw ActionException.invalid("stand-in restore supports to: pod|pvc only");
      }
      return volumes.restore(new PodVolumes.Location(a.namespace(), a.pod(), a.workload(), a.container(), a.pvc(),
          null, null), a.path(), Boolean.TRUE.equals(a.clean()), archives, a.set(), a.source(), a.archive(), ctx);
    }
  }
}
