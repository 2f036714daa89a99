package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The Kubernetes side of {@code backup from: pod|pvc} and {@code restore to: pod|pvc}: resolves the
 * container (or starts a helper pod on the PVC), and hands the archive engine a tar stream to read
 * or a tar sink to write. The helper pod made here is always deleted before returning.
 *
 * <p>The archive engine plugs in through {@link TarArchives}, implemented over {@code
 * archive.Repository#writeFromTar} and {@code #copyAsTar}.
 */
public final class PodVolumes {
  /** What the backup and restore actions need from the repository. */
  public interface TarArchives {
    /**
     * Re-packs a plain tar stream into an archive of {@code set/source}; returns the step output.
     */
    Map<String, Object> writeFromTar(String set, String source, InputStream tar, ActionContext ctx)
        throws IOException;

    /**
     * Writes the archive ({@code null} = latest) as a plain tar; returns the step output. With
     * {@code folderItself}, the tar starts with a {@code ./} entry giving the folder it is
     * extracted into the backed-up folder's mode, time and owner.
     */
    Map<String, Object> copyAsTar(
        String set,
        String source,
        String archive,
        boolean folderItself,
        TarSink sink,
        ActionContext ctx)
        throws IOException;
  }

  /**
   * Receives the archive's tar: the repository calls it with a writer that fills the pod's tar
   * input.
   */
  @FunctionalInterface
  public interface TarSink {
    long accept(PodTar.TarWriter writer) throws IOException;
  }

  private final Supplier<KubernetesClient> clients;
  private final PodTar tar;

  public PodVolumes(Supplier<KubernetesClient> clients) {
    this.clients = clients;
    this.tar = new PodTar(clients);
  }

  /**
   * Where the data is: a running pod (by name or workload) or a PVC reached through a helper pod.
   */
  public record Location(
      String namespace,
      String pod,
      String workload,
      String container,
      String pvc,
      String image,
      String lastNode) {}

  /**
   * Streams {@code path} (and below it {@code paths}, default everything) out of the location into
   * the archives.
   */
  public Map<String, Object> backup(
      Location at,
      String path,
      List<String> paths,
      TarArchives archives,
      String set,
      String source,
      ActionContext ctx)
      throws Exception {
    return withPod(
        at,
        ctx,
        ref -> {
          String dir =
              at.pvc() != null
                  ? (path == null || path.isBlank() ? HelperPod.MOUNT_PATH : path)
                  : path;
          ctx.message("archiving " + dir + " from " + ref);
          try (InputStream in = tar.archive(ref, dir, paths)) {
            Map<String, Object> out =
                new LinkedHashMap<>(archives.writeFromTar(set, source, in, ctx));
            out.put("pod", ref.pod());
            return out;
          }
        });
  }

  /** Streams an archive into {@code path} of the location; {@code clean} empties it first. */
  public Map<String, Object> restore(
      Location at,
      String path,
      boolean clean,
      TarArchives archives,
      String set,
      String source,
      String archive,
      ActionContext ctx)
      throws Exception {
    return withPod(
        at,
        ctx,
        ref -> {
          String dir =
              at.pvc() != null
                  ? (path == null || path.isBlank() ? HelperPod.MOUNT_PATH : path)
                  : path;
          if (clean) {
            ctx.message("emptying " + dir + " in " + ref);
            tar.empty(ref, dir);
          }
          ctx.message("extracting into " + dir + " in " + ref);
          // root's tar (a helper pod's) gives the folder its archived mode and owner; an
          // application's container may run as a user that does not own the folder, where tar
          // would fail on changing it
          boolean folderItself = tar.runsAsRoot(ref);
          Map<String, Object> out =
              new LinkedHashMap<>(
                  archives.copyAsTar(
                      set,
                      source,
                      archive,
                      folderItself,
                      writer -> tar.extract(ref, dir, writer),
                      ctx));
          out.put("pod", ref.pod());
          return out;
        });
  }

  private interface PodWork {
    Map<String, Object> run(PodRef ref) throws Exception;
  }

  private Map<String, Object> withPod(Location at, ActionContext ctx, PodWork work)
      throws Exception {
    if (at.pvc() == null || at.pvc().isBlank()) {
      return work.run(tar.resolve(at.namespace(), at.pod(), at.workload(), at.container()));
    }
    HelperPod helper = new HelperPod(clients);
    String name = HelperPod.generatedName(ctx);
    helper.run(
        new HelperPod.Args(
            at.namespace(), at.pvc(), name, at.image(), Map.of(), null, at.lastNode(), null),
        ctx);
    try {
      return work.run(new PodRef(at.namespace(), name, HelperPod.CONTAINER));
    } finally {
      new DeletePod(clients)
          .deleteAndWait(clients.get(), at.namespace(), name, DeletePod.DEFAULT_TIMEOUT, ctx);
    }
  }
}
