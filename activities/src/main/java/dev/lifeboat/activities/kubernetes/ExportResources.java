package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code export-resources}: tier-3 infrastructure state written into a local directory for a
 * following {@code backup} step: Kubernetes objects as YAML (one file each), Helm releases decoded
 * from their storage secrets, and host files (kubeconfig, hosts, Ansible inventory). Secrets, Helm
 * values and the kubeconfig are marked sensitive in the index and written readable by the owner
 * only.
 */
public final class ExportResources implements Action<ExportResources.Args> {
  /** Exported kinds by the names kubectl users know; "all" is kubectl's set of workload kinds. */
  static final Map<String, Kind> KINDS = new LinkedHashMap<>();

  static final List<String> ALL =
      List.of(
          "pods",
          "services",
          "deployments",
          "statefulsets",
          "daemonsets",
          "replicasets",
          "jobs",
          "cronjobs");
  static final List<String> DEFAULT_KINDS =
      List.of(
          "all", "pvc", "pv", "sc", "ingress", "ingressclass", "secret", "configmap", "namespaces");

  record Kind(
      String dir, Class<? extends HasMetadata> type, boolean namespaced, boolean sensitive) {}

  static {
    KINDS.put("pods", new Kind("pods", Pod.class, true, false));
    KINDS.put("services", new Kind("services", Service.class, true, false));
    KINDS.put("deployments", new Kind("deployments", Deployment.class, true, false));
    KINDS.put("statefulsets", new Kind("statefulsets", StatefulSet.class, true, false));
    KINDS.put("daemonsets", new Kind("daemonsets", DaemonSet.class, true, false));
    KINDS.put("replicasets", new Kind("replicasets", ReplicaSet.class, true, false));
    KINDS.put("jobs", new Kind("jobs", Job.class, true, false));
    KINDS.put("cronjobs", new Kind("cronjobs", CronJob.class, true, false));
    KINDS.put("pvc", new Kind("persistentvolumeclaims", PersistentVolumeClaim.class, true, false));
    KINDS.put("pv", new Kind("persistentvolumes", PersistentVolume.class, false, false));
    KINDS.put("sc", new Kind("storageclasses", StorageClass.class, false, false));
    KINDS.put("ingress", new Kind("ingresses", Ingress.class, true, false));
    KINDS.put("ingressclass", new Kind("ingressclasses", IngressClass.class, false, false));
    KINDS.put("secret", new Kind("secrets", Secret.class, true, true));
    KINDS.put("configmap", new Kind("configmaps", ConfigMap.class, true, false));
    KINDS.put("namespaces", new Kind("namespaces", Namespace.class, false, false));
  }

  public record Args(
      @Arg(description = "local directory to write the export into") String path,
      @Arg(
              required = false,
              description = "empty the directory first (default false: a non-empty one is refused)")
          Boolean clean,
      @Arg(required = false, description = "namespaces to export (default all)")
          List<String> namespaces,
      @Arg(
              required = false,
              description =
                  "kinds: all, pvc, pv, sc, ingress, ingressclass, secret, configmap, namespaces or single kinds like pods")
          List<String> kinds,
      @Arg(required = false, description = "decode Helm releases (default true)") Boolean helm,
      @Arg(required = false, description = "kubeconfig file to include") String kubeconfig,
      @Arg(required = false, description = "hosts file to include (default /etc/hosts)")
          String hostsFile,
      @Arg(required = false, description = "Ansible inventory directory to include")
          String inventory) {
    public Args {
      clean = clean != null && clean;
      helm = helm == null || helm;
      hostsFile = hostsFile == null || hostsFile.isBlank() ? "/etc/hosts" : hostsFile;
      namespaces = namespaces == null ? List.of() : namespaces;
      kinds = kinds == null || kinds.isEmpty() ? DEFAULT_KINDS : kinds;
    }
  }

  /** One exported file, relative to the export directory. */
  public record ExportedFile(String path, String kind, boolean sensitive) {}

  public record Result(
      String path,
      int fileCount,
      Map<String, Integer> counts,
      List<String> sensitive,
      String index,
      List<String> warnings) {}

  private final Supplier<KubernetesClient> clients;

  public ExportResources(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "export-resources";
  }

  @Override
  public String description() {
    return "Export Kubernetes resources, Helm releases and host files into a directory (tier 3)";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws IOException {
    Path dir = prepare(args.path(), args.clean());
    List<Kind> kinds = kinds(args.kinds());
    KubernetesClient client = clients.get();
    List<ExportedFile> files = new ArrayList<>();
    Map<String, Integer> counts = new TreeMap<>();
    List<String> warnings = new ArrayList<>();
    List<Secret> helmSecrets = new ArrayList<>();
    for (Kind kind : kinds) {
      ctx.throwIfCancelled();
      ctx.message("exporting " + kind.dir());
      List<? extends HasMetadata> items;
      try {
        items = list(client, kind, args.namespaces());
      } catch (KubernetesClientException e) {
        warnings.add(
            kind.dir() + ": not exported (" + e.getCode() + " " + firstLine(e.getMessage()) + ")");
        continue;
      }
      for (HasMetadata item : items) {
        item.getMetadata().setManagedFields(null);
        String ns = item.getMetadata().getNamespace();
        String rel =
            "kubernetes/"
                + (kind.namespaced() ? "namespaces/" + ns : "cluster")
                + "/"
                + kind.dir()
                + "/"
                + safe(item.getMetadata().getName())
                + ".yaml";
        write(dir, rel, Serialization.asYaml(item), kind.sensitive());
        files.add(new ExportedFile(rel, kind.dir(), kind.sensitive()));
        if (item instanceof Secret s && HelmReleases.isRelease(s)) {
          helmSecrets.add(s);
        }
      }
      counts.put(kind.dir(), items.size());
      ctx.progress(0, 0, files.size());
    }
    if (args.helm()) {
      if (!kinds.contains(KINDS.get("secret"))) {
        try {
          helmSecrets.addAll(
              list(client, KINDS.get("secret"), args.namespaces()).stream()
                  .map(Secret.class::cast)
                  .filter(HelmReleases::isRelease)
                  .toList());
        } catch (KubernetesClientException e) {
          warnings.add(
              "helm releases: not exported ("
                  + e.getCode()
                  + " "
                  + firstLine(e.getMessage())
                  + ")");
        }
      }
      counts.put("helm-releases", exportHelm(dir, helmSecrets, files, warnings));
    }
    copyHostFile(dir, args.kubeconfig(), "host/kubeconfig", true, true, files, warnings);
    copyHostFile(dir, args.hostsFile(), "host/hosts", false, false, files, warnings);
    if (args.inventory() != null && !args.inventory().isBlank()) {
      copyInventory(dir, Path.of(args.inventory()), files);
    }
    List<String> sensitive =
        files.stream().filter(ExportedFile::sensitive).map(ExportedFile::path).toList();
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("counts", counts);
    index.put("warnings", warnings);
    index.put("files", files);
    write(dir, "index.yaml", Serialization.asYaml(index), false);
    warnings.forEach(w -> ctx.log("warning: " + w));
    ctx.log(
        "exported "
            + files.size()
            + " files into "
            + dir
            + " ("
            + sensitive.size()
            + " sensitive)");
    return new Result(
        dir.toString(),
        files.size(),
        counts,
        sensitive,
        dir.resolve("index.yaml").toString(),
        warnings);
  }

  static List<Kind> kinds(List<String> names) {
    List<Kind> out = new ArrayList<>();
    for (String n : names) {
      String k = n.trim().toLowerCase();
      List<String> expanded =
          k.equals("all") ? ALL : java.util.Collections.singletonList(KindAliases.key(k));
      for (String e : expanded) {
        Kind kind = e == null ? null : KINDS.get(e);
        if (kind == null) {
          throw ActionException.invalid(
              "export-resources: unknown kind '"
                  + n
                  + "' (known: all, "
                  + String.join(", ", KINDS.keySet())
                  + ")");
        }
        if (!out.contains(kind)) {
          out.add(kind);
        }
      }
    }
    return out;
  }

  private static List<? extends HasMetadata> list(
      KubernetesClient client, Kind kind, List<String> namespaces) {
    var op = client.resources(kind.type());
    if (!kind.namespaced()) {
      return sorted(op.list().getItems());
    }
    if (namespaces.isEmpty()) {
      return sorted(op.inAnyNamespace().list().getItems());
    }
    List<HasMetadata> out = new ArrayList<>();
    for (String ns : namespaces) {
      out.addAll(op.inNamespace(ns).list().getItems());
    }
    return sorted(out);
  }

  private static List<? extends HasMetadata> sorted(List<? extends HasMetadata> items) {
    return items.stream()
        .sorted(
            Comparator.comparing((HasMetadata h) -> String.valueOf(h.getMetadata().getNamespace()))
                .thenComparing(h -> h.getMetadata().getName()))
        .toList();
  }

  private static int exportHelm(
      Path dir, List<Secret> secrets, List<ExportedFile> files, List<String> warnings)
      throws IOException {
    Map<String, HelmReleases.Release> latest = new TreeMap<>();
    for (Secret s : secrets) {
      HelmReleases.Release r;
      try {
        r = HelmReleases.decode(s);
      } catch (IOException | IllegalArgumentException e) {
        warnings.add(
            "helm release secret "
                + s.getMetadata().getNamespace()
                + "/"
                + s.getMetadata().getName()
                + " could not be decoded: "
                + e.getMessage());
        continue;
      }
      Map<String, Object> doc = new LinkedHashMap<>(r.summary());
      doc.put("values", r.values());
      String rel =
          "helm/"
              + safe(r.namespace())
              + "/"
              + safe(r.name())
              + "/revision-"
              + r.revision()
              + ".yaml";
      // values often hold passwords and tokens
      write(dir, rel, Serialization.asYaml(doc), true);
      files.add(new ExportedFile(rel, "helm-release", true));
      String key = r.namespace() + "/" + r.name();
      if (!latest.containsKey(key) || latest.get(key).revision() < r.revision()) {
        latest.put(key, r);
      }
    }
    List<Map<String, Object>> summary =
        latest.values().stream().map(HelmReleases.Release::summary).toList();
    write(dir, "helm/releases.yaml", Serialization.asYaml(Map.of("releases", summary)), false);
    files.add(new ExportedFile("helm/releases.yaml", "helm-releases", false));
    return latest.size();
  }

  private static void copyHostFile(
      Path dir,
      String source,
      String rel,
      boolean sensitive,
      boolean required,
      List<ExportedFile> files,
      List<String> warnings)
      throws IOException {
    if (source == null || source.isBlank()) {
      return;
    }
    Path from = Path.of(source);
    if (!Files.isRegularFile(from)) {
      if (required) {
        throw ActionException.invalid("export-resources: " + source + " is not a file");
      }
      warnings.add(source + ": not found, not exported");
      return;
    }
    write(dir, rel, Files.readString(from, StandardCharsets.UTF_8), sensitive);
    files.add(new ExportedFile(rel, "host-file", sensitive));
  }

  private static void copyInventory(Path dir, Path inventory, List<ExportedFile> files)
      throws IOException {
    if (!Files.isDirectory(inventory)) {
      throw ActionException.invalid(
          "export-resources: inventory " + inventory + " is not a directory");
    }
    try (Stream<Path> s = Files.walk(inventory)) {
      for (Path p :
          s.filter(x -> Files.isRegularFile(x, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
        String rel =
            "host/ansible-inventory/" + inventory.relativize(p).toString().replace('\\', '/');
        // vault files and host_vars may hold credentials
        boolean sensitive = rel.contains("vault") || rel.contains("secret");
        Path to = dir.resolve(rel);
        Files.createDirectories(to.getParent());
        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
        if (sensitive) {
          restrict(to);
        }
        files.add(new ExportedFile(rel, "ansible-inventory", sensitive));
      }
    }
  }

  private static Path prepare(String path, boolean clean) throws IOException {
    if (path == null || path.isBlank() || !Path.of(path).isAbsolute()) {
      throw ActionException.invalid(
          "export-resources: 'path' must be an absolute directory, got '" + path + "'");
    }
    Path dir = Path.of(path).normalize();
    if (dir.getNameCount() < 2) {
      throw ActionException.invalid(
          "export-resources: refusing to write into " + dir + "; use a dedicated directory");
    }
    Files.createDirectories(dir);
    try (Stream<Path> s = Files.list(dir)) {
      boolean empty = s.findAny().isEmpty();
      if (!empty && !clean) {
        throw ActionException.invalid(
            "export-resources: " + dir + " is not empty; set clean: true to replace it");
      }
    }
    if (clean) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          if (!p.equals(dir)) {
            Files.delete(p);
          }
        }
      }
    }
    return dir;
  }

  private static void write(Path dir, String rel, String text, boolean sensitive)
      throws IOException {
    Path to = dir.resolve(rel);
    Files.createDirectories(to.getParent());
    Files.writeString(to, text, StandardCharsets.UTF_8);
    if (sensitive) {
      restrict(to);
    }
  }

  private static void restrict(Path p) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: the index still marks the file sensitive
    }
  }

  private static String safe(String name) {
    return name == null ? "_" : name.replace('/', '_').replace("..", "_");
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
