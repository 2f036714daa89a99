package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code apply-resources}: recreates Kubernetes objects from a tier-3 export (as {@code
 * export-resources} writes it, in a directory or inside an archive) on a rebuilt cluster: by
 * default the PersistentVolumeClaims, so data can be restored into them. What belonged to the old
 * cluster is stripped first (status, uid, resourceVersion, the PVC's bound volumeName, a Service's
 * cluster IPs). A missing object is created; one that already exists (e.g. made by a storage chart)
 * is updated with a JSON merge patch, so only the fields the export sets change. Missing namespaces
 * are created.
 */
public final class ApplyResources implements Action<ApplyResources.Args> {
  /** Annotations that record the old cluster's binding; a fresh claim must not carry them. */
  private static final List<String> STALE_ANNOTATIONS =
      List.of(
          "pv.kubernetes.io/bind-completed",
          "pv.kubernetes.io/bound-by-controller",
          "volume.beta.kubernetes.io/storage-provisioner",
          "volume.kubernetes.io/storage-provisioner",
          "volume.kubernetes.io/selected-node",
          "kubectl.kubernetes.io/last-applied-configuration");

  /**
   * Kinds that make sense to recreate from an export; pods and replica sets come back from their
   * owners.
   */
  static final List<String> APPLICABLE =
      List.of(
          "namespaces",
          "sc",
          "pv",
          "pvc",
          "configmap",
          "secret",
          "services",
          "ingressclass",
          "ingress",
          "deployments",
          "statefulsets",
          "daemonsets",
          "cronjobs");

  public record Args(
      @Arg(
              required = false,
              description = "directory written by export-resources (instead of an archive)")
          String path,
      @Arg(required = false, description = "archive set of a tier-3 export, e.g. tier3") String set,
      @Arg(required = false, description = "archive source, e.g. infra") String source,
      @Arg(
              required = false,
              description =
                  "an absolute archive path or a name within set/source; default the latest")
          String archive,
      @Arg(
              required = false,
              description =
                  "kinds to recreate (default [pvc]): pvc, pv, sc, configmap, secret, services, ...")
          List<String> kinds,
      @Arg(required = false, description = "only these namespaces (default all)")
          List<String> namespaces,
      @Arg(
              required = false,
              description = "report what would be applied without applying (default false)")
          Boolean dryRun) {
    public Args {
      kinds = kinds == null || kinds.isEmpty() ? List.of("pvc") : List.copyOf(kinds);
      namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
      dryRun = dryRun != null && dryRun;
    }
  }

  /**
   * Counts per kind directory, every object as {@code namespace/kind/name}, and namespaces created.
   */
  public record Result(
      String from,
      int applied,
      Map<String, Integer> counts,
      List<String> names,
      List<String> createdNamespaces,
      boolean dryRun) {}

  private final Supplier<KubernetesClient> clients;
  private final Repository repository;

  /**
   * @param repository where set/source/archive are looked up (the configured repository)
   */
  public ApplyResources(Supplier<KubernetesClient> clients, Repository repository) {
    this.clients = clients;
    this.repository = repository;
  }

  @Override
  public String name() {
    return "apply-resources";
  }

  @Override
  public String description() {
    return "Recreate PVCs (and other exported kinds) from a tier-3 export on a rebuilt cluster";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws IOException {
    List<ExportResources.Kind> kinds = kinds(args.kinds());
    boolean fromDirectory = args.path() != null && !args.path().isBlank();
    if (fromDirectory == (args.set() != null || args.archive() != null)) {
      throw ActionException.invalid(
          "apply-resources: give either 'path' (an export directory) or an archive"
              + " ('set' and 'source', or 'archive')");
    }
    if (fromDirectory) {
      Path dir = Path.of(args.path());
      if (!Files.isDirectory(dir.resolve("kubernetes"))) {
        throw ActionException.invalid(
            "apply-resources: "
                + dir
                + " is not an export-resources directory"
                + " (no kubernetes/ folder in it)");
      }
      return apply(dir, dir.toString(), kinds, args, ctx);
    }
    if (args.archive() == null || !Path.of(args.archive()).isAbsolute()) {
      if (args.set() == null || args.source() == null) {
        throw ActionException.invalid(
            "apply-resources: an archive needs 'set' and 'source' (or an absolute 'archive')");
      }
    }
    ArchiveRef ref = repository.resolve(args.set(), args.source(), args.archive());
    Path scratch = Files.createTempDirectory("lifeboat-apply-");
    try {
      ctx.message("reading the export from " + ref.path());
      repository.restoreToDirectory(
          ref,
          scratch,
          false,
          new ProgressListener() {
            @Override
            public void progress(long bytesDone, long bytesTotal, long filesDone) {
              ctx.progress(bytesDone, bytesTotal, filesDone);
            }

            @Override
            public void checkCancelled() {
              ctx.throwIfCancelled();
            }
          });
      if (!Files.isDirectory(scratch.resolve("kubernetes"))) {
        throw ActionException.check(
            "apply-resources: archive "
                + ref.path()
                + " holds no export-resources output"
                + " (no kubernetes/ folder)");
      }
      return apply(scratch, ref.path().toString(), kinds, args, ctx);
    } finally {
      deleteQuietly(scratch);
    }
  }

  private Result apply(
      Path dir, String from, List<ExportResources.Kind> kinds, Args args, ActionContext ctx)
      throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    for (ExportResources.Kind kind : kinds) {
      for (Path file : files(dir, kind, args.namespaces())) {
        HasMetadata item;
        try {
          item = Serialization.unmarshal(Files.readString(file), kind.type());
        } catch (RuntimeException e) {
          throw ActionException.check(
              "apply-resources: "
                  + dir.relativize(file)
                  + " is not a "
                  + kind.dir()
                  + " object: "
                  + e.getMessage());
        }
        objects.add(strip(item));
      }
    }
    KubernetesClient client = clients.get();
    Set<String> namespaces = new LinkedHashSet<>();
    objects.stream()
        .map(o -> o.getMetadata().getNamespace())
        .filter(ns -> ns != null)
        .sorted()
        .forEach(namespaces::add);
    List<String> created = new ArrayList<>();
    for (String ns : namespaces) {
      if (client.namespaces().withName(ns).get() == null) {
        if (!args.dryRun()) {
          ctx.message("creating namespace " + ns);
          client
              .namespaces()
              .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
              .create();
        }
        created.add(ns);
        ctx.log((args.dryRun() ? "would create" : "created") + " namespace " + ns);
      }
    }
    Map<String, Integer> counts = new TreeMap<>();
    List<String> names = new ArrayList<>();
    int done = 0;
    for (HasMetadata o : objects) {
      ctx.throwIfCancelled();
      String label =
          (o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace() + "/")
              + o.getKind()
              + "/"
              + o.getMetadata().getName();
      if (!args.dryRun()) {
        ctx.message("applying " + label);
        try {
          if (client.resource(o).get() == null) {
            client.resource(o).create();
          } else {
            // a merge patch changes only the fields the export sets; those it leaves out (a claim's
            // new
            // volumeName) stay as they are
            client.resource(o).patch(PatchContext.of(PatchType.JSON_MERGE), o);
          }
        } catch (KubernetesClientException e) {
          if (e.getCode() >= 400 && e.getCode() < 500 && e.getCode() != 409 && e.getCode() != 429) {
            throw ActionException.check(
                "apply-resources: the cluster refused " + label + ": " + e.getMessage());
          }
          throw e;
        }
      }
      ctx.log((args.dryRun() ? "would apply " : "applied ") + label);
      names.add(label);
      counts.merge(dirOf(o), 1, Integer::sum);
      ctx.progress(0, 0, ++done);
    }
    ctx.message(
        (args.dryRun() ? "would apply " : "applied ") + names.size() + " objects from " + from);
    return new Result(from, names.size(), counts, names, created, args.dryRun());
  }

  /** Removes what belonged to the old cluster so the object can be created fresh. */
  static HasMetadata strip(HasMetadata item) {
    ObjectMeta m = item.getMetadata();
    m.setUid(null);
    m.setResourceVersion(null);
    m.setCreationTimestamp(null);
    m.setDeletionTimestamp(null);
    m.setDeletionGracePeriodSeconds(null);
    m.setGeneration(null);
    m.setManagedFields(null);
    m.setSelfLink(null);
    // owners (e.g. a StatefulSet that created the claim) have new uids on the rebuilt cluster
    m.setOwnerReferences(null);
    m.setFinalizers(null);
    if (m.getAnnotations() != null) {
      STALE_ANNOTATIONS.forEach(m.getAnnotations()::remove);
    }
    if (item instanceof PersistentVolumeClaim pvc) {
      pvc.setStatus(null);
      if (pvc.getSpec() != null) {
        // bound to a volume of the old cluster: let the rebuilt storage provision a new one
        pvc.getSpec().setVolumeName(null);
      }
    } else if (item instanceof PersistentVolume pv) {
      pv.setStatus(null);
      if (pv.getSpec() != null && pv.getSpec().getClaimRef() != null) {
        pv.getSpec().getClaimRef().setUid(null);
        pv.getSpec().getClaimRef().setResourceVersion(null);
      }
    } else if (item instanceof Service svc) {
      svc.setStatus(null);
      if (svc.getSpec() != null) {
        svc.getSpec().setClusterIP(null);
        svc.getSpec().setClusterIPs(null);
      }
    } else if (item instanceof Namespace ns) {
      ns.setStatus(null);
      ns.setSpec(null);
    } else {
      try {
        item.getClass()
            .getMethod("setStatus", item.getClass().getMethod("getStatus").getReturnType())
            .invoke(item, (Object) null);
      } catch (ReflectiveOperationException e) {
        // kinds without status
      }
    }
    return item;
  }

  private static List<Path> files(Path dir, ExportResources.Kind kind, List<String> namespaces)
      throws IOException {
    List<Path> roots = new ArrayList<>();
    if (!kind.namespaced()) {
      roots.add(dir.resolve("kubernetes/cluster").resolve(kind.dir()));
    } else if (namespaces.isEmpty()) {
      Path all = dir.resolve("kubernetes/namespaces");
      if (Files.isDirectory(all)) {
        try (Stream<Path> s = Files.list(all)) {
          s.sorted().forEach(ns -> roots.add(ns.resolve(kind.dir())));
        }
      }
    } else {
      namespaces.forEach(
          ns -> roots.add(dir.resolve("kubernetes/namespaces").resolve(ns).resolve(kind.dir())));
    }
    List<Path> out = new ArrayList<>();
    for (Path r : roots) {
      if (Files.isDirectory(r)) {
        try (Stream<Path> s = Files.list(r)) {
          s.filter(p -> p.toString().endsWith(".yaml"))
              .sorted(Comparator.naturalOrder())
              .forEach(out::add);
        }
      }
    }
    if (kind.type() == Namespace.class && !namespaces.isEmpty()) {
      out.removeIf(
          p -> !namespaces.contains(p.getFileName().toString().replaceFirst("\\.yaml$", "")));
    }
    return out;
  }

  /**
   * The kinds asked for, in the order a cluster needs them (storage classes before claims, ...).
   */
  static List<ExportResources.Kind> kinds(List<String> names) {
    Set<String> wanted = new LinkedHashSet<>();
    for (String n : names) {
      String key = KindAliases.key(n);
      if (key == null || !APPLICABLE.contains(key)) {
        throw ActionException.invalid(
            "apply-resources: cannot recreate kind '"
                + n
                + "' (known: "
                + String.join(", ", APPLICABLE)
                + "; pods and replica sets come back from their owners)");
      }
      wanted.add(key);
    }
    return APPLICABLE.stream().filter(wanted::contains).map(ExportResources.KINDS::get).toList();
  }

  private static String dirOf(HasMetadata o) {
    return ExportResources.KINDS.values().stream()
        .filter(k -> k.type().isInstance(o))
        .map(ExportResources.Kind::dir)
        .findFirst()
        .orElse(o.getKind());
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  // scratch space; the OS cleans the temp directory eventually
                }
              });
    } catch (IOException e) {
      // already gone
    }
  }
}
