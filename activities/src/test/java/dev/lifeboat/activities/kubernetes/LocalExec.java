package dev.lifeboat.activities.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Pod exec over the Kubernetes v4 channel protocol, served by running the real program locally:
 * absolute paths in the command are mapped into the local directories that back the pod's volumes
 * (the rest of the pod's filesystem is a scratch directory). Stdin, stdout, stderr and the exit
 * status travel exactly as they do from a kubelet.
 */
final class LocalExec {
  private static final byte STDIN = 0;
  private static final byte STDOUT = 1;
  private static final byte STDERR = 2;
  private static final byte STATUS = 3;

  private final MockCluster cluster;

  /** Pods whose image has no tar: exec of tar fails the way a container runtime reports it. */
  final Set<String> withoutTar = ConcurrentHashMap.newKeySet();

  final List<String> commands = new CopyOnWriteArrayList<>();

  /** "pod: command -> exit code" for every exec that ran, with what it wrote to stderr. */
  final List<String> results = new CopyOnWriteArrayList<>();

  LocalExec(MockCluster cluster) {
    this.cluster = cluster;
  }

  MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    String[] parts = path.substring(0, path.indexOf('?')).split("/");
    // /api/v1/namespaces/{ns}/pods/{pod}/exec
    String ns = parts[4];
    String pod = parts[6];
    List<String> argv = new ArrayList<>();
    String container = null;
    for (String kv : path.substring(path.indexOf('?') + 1).split("&")) {
      int eq = kv.indexOf('=');
      String k = kv.substring(0, eq);
      String v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      if (k.equals("command")) {
        argv.add(v);
      } else if (k.equals("container")) {
        container = v;
      }
    }
    commands.add(pod + ": " + String.join(" ", argv));
    return new MockResponse().withWebSocketUpgrade(new Session(ns, pod, container, argv));
  }

  private final class Session extends WebSocketListener {
    final String ns;
    final String pod;
    final String container;
    final List<String> argv;
    final BlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
    volatile long fed;

    Session(String ns, String pod, String container, List<String> argv) {
      this.ns = ns;
      this.pod = pod;
      this.container = container;
      this.argv = argv;
    }

    @Override
    public void onOpen(WebSocket ws, io.fabric8.mockwebserver.http.Response response) {
      Thread t = new Thread(() -> run(ws), "local-exec-" + pod);
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void onMessage(WebSocket ws, byte[] bytes) {
      if (bytes.length > 0 && bytes[0] == STDIN) {
        stdin.add(java.util.Arrays.copyOfRange(bytes, 1, bytes.length));
      }
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
      stdin.add(new byte[0]);
    }

    private void run(WebSocket ws) {
      try {
        if (withoutTar.contains(pod) && argv.get(0).equals("tar")) {
          send(
              ws,
              STDERR,
              "OCI runtime exec failed: exec failed: unable to start container process: exec: \"tar\": "
                  .concat("executable file not found in $PATH: unknown")
                  .getBytes(StandardCharsets.UTF_8));
          status(
              ws,
              126,
              "command terminated with non-zero exit code: exec: \"tar\": executable file not found in $PATH");
          return;
        }
        Pod p = cluster.client.pods().inNamespace(ns).withName(pod).get();
        Map<String, Path> mounts = mounts(p);
        Path root = cluster.volumes.resolve("_pods").resolve(ns).resolve(pod);
        Files.createDirectories(root);
        List<String> mapped = new ArrayList<>();
        for (String a : argv) {
          mapped.add(a.startsWith("/") ? map(a, mounts, root) : a);
        }
        Process proc = new ProcessBuilder(mapped).directory(root.toFile()).start();
        Thread out = pump(proc.getInputStream(), ws, STDOUT);
        Thread err = pump(proc.getErrorStream(), ws, STDERR);
        Thread in = new Thread(() -> feed(proc.getOutputStream()), "local-exec-stdin");
        in.setDaemon(true);
        in.start();
        int code = proc.waitFor();
        out.join();
        err.join();
        results.add(
            pod + ": " + String.join(" ", argv) + " -> exit " + code + " fed " + fed + " bytes");
        stdin.add(new byte[0]);
        status(
            ws,
            code,
            "command terminated with non-zero exit code: error executing command "
                + argv
                + ", exit code "
                + code);
      } catch (Exception e) {
        send(ws, STDERR, e.toString().getBytes(StandardCharsets.UTF_8));
        status(ws, 1, e.toString());
      }
    }

    private void feed(OutputStream to) {
      try (to) {
        while (true) {
          byte[] b = stdin.take();
          if (b.length == 0) {
            return;
          }
          to.write(b);
          to.flush();
          fed += b.length;
        }
      } catch (IOException | InterruptedException e) {
        // the program exited and closed its input: like a real container, the rest is discarded
      }
    }

    private Thread pump(InputStream from, WebSocket ws, byte channel) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[32 * 1024];
                int n;
                try {
                  while ((n = from.read(buf)) >= 0) {
                    send(ws, channel, java.util.Arrays.copyOf(buf, n));
                  }
                } catch (IOException e) {
                  // process gone
                }
              },
              "local-exec-out");
      t.setDaemon(true);
      t.start();
      return t;
    }

    private Map<String, Path> mounts(Pod p) {
      Map<String, Path> out = new java.util.LinkedHashMap<>();
      if (p == null) {
        return out;
      }
      var c =
          p.getSpec().getContainers().stream()
              .filter(x -> container == null || x.getName().equals(container))
              .findFirst()
              .orElseThrow();
      for (VolumeMount m :
          c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
        for (Volume v : p.getSpec().getVolumes()) {
          if (v.getName().equals(m.getName()) && v.getPersistentVolumeClaim() != null) {
            out.put(
                m.getMountPath(), cluster.pvcDir(ns, v.getPersistentVolumeClaim().getClaimName()));
          }
        }
      }
      return out;
    }
  }

  static String map(String abs, Map<String, Path> mounts, Path root) {
    String best =
        mounts.keySet().stream()
            .filter(m -> abs.equals(m) || abs.startsWith(m.endsWith("/") ? m : m + "/"))
            .max(Comparator.comparingInt(String::length))
            .orElse(null);
    if (best == null) {
      return root.resolve(abs.substring(1)).toString();
    }
    String rest = abs.substring(best.length());
    return mounts.get(best).toString() + rest;
  }

  private static synchronized void send(WebSocket ws, byte channel, byte[] data) {
    byte[] msg = new byte[data.length + 1];
    msg[0] = channel;
    System.arraycopy(data, 0, msg, 1, data.length);
    ws.send(msg);
  }

  private static void status(WebSocket ws, int code, String message) {
    String json =
        code == 0
            ? "{\"metadata\":{},\"status\":\"Success\"}"
            : "{\"metadata\":{},\"status\":\"Failure\",\"message\":"
                + quote(message)
                + ",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\""
                + code
                + "\"}]}}";
    send(ws, STATUS, json.getBytes(StandardCharsets.UTF_8));
    ws.close(1000, "");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
