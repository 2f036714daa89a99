package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Streams tar in and out of a running container through exec. Commands are argument vectors: no
 * parameter is ever pasted into a shell string. A container without {@code tar} is reported as
 * such.
 *
 * <p>The exec protocol the client speaks (v4) cannot close the remote stdin, so extraction relies
 * on tar stopping at the end-of-archive blocks; {@link #extract} appends an extra zero record to be
 * sure.
 */
public final class PodTar {
  static final Duration EXIT_WAIT = Duration.ofMinutes(2);
  private static final int STDERR_LIMIT = 16 * 1024;
  // Empties a directory, dotfiles included. The script is fixed; the directory is passed as $1.
  static final String EMPTY_DIR_SCRIPT = "cd -- \"$1\" && rm -rf -- ./* ./.[!.]* ./..?*";

  private final Supplier<KubernetesClient> clients;

  public PodTar(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  /**
   * Finds the pod and container: a pod by name (which wins when both are given), or the first ready
   * pod (by name) of a workload ({@code deployment/name}, {@code statefulset/name}); the container
   * defaults to the pod's first.
   */
  public PodRef resolve(String namespace, String pod, String workload, String container) {
    KubernetesClient client = clients.get();
    Workload.requireText(namespace, "namespace");
    boolean byPod = pod != null && !pod.isBlank();
    boolean byWorkload = workload != null && !workload.isBlank();
    if (!byPod && !byWorkload) {
      throw ActionException.invalid("give 'pod' or 'workload' (kind/name)");
    }
    Workload.requireNamespace(namespace);
    Pod p;
    if (byPod) {
      KubernetesNames.notSubdomain(pod)
          .ifPresent(
              why -> {
                throw ActionException.invalid("pod name " + why);
              });
      p = client.pods().inNamespace(namespace).withName(pod).get();
      if (p == null) {
        throw ActionException.invalid(
            "pod '" + pod + "' not found in namespace '" + namespace + "'");
      }
      if (!Pods.ready(p)) {
        throw ActionException.check(
            "pod "
                + namespace
                + "/"
                + pod
                + " is not ready\n"
                + new PodDiagnostics(client).describe(p));
      }
    } else {
      Workload w = Workload.lookup(client, namespace, workload);
      p =
          client.pods().inNamespace(namespace).withLabels(w.selector()).list().getItems().stream()
              .filter(Pods::ready)
              .min(Comparator.comparing(x -> x.getMetadata().getName()))
              .orElseThrow(
                  () ->
                      ActionException.check(
                          w.describe()
                              + " has no ready pod\n"
                              + new PodDiagnostics(client)
                                  .describeSelected(namespace, w.selector())));
    }
    List<String> names = p.getSpec().getContainers().stream().map(Container::getName).toList();
    String c = container == null || container.isBlank() ? names.get(0) : container;
    if (!names.contains(c)) {
      throw ActionException.invalid(
          "pod "
              + namespace
              + "/"
              + p.getMetadata().getName()
              + " has no container '"
              + c
              + "' (it has: "
              + String.join(", ", names)
              + ")");
    }
    return new PodRef(namespace, p.getMetadata().getName(), c);
  }

  /**
   * Starts {@code tar cf - -C dir paths...} in the container and returns its standard output. The
   * stream fails at its end (not silently short) when tar exits non-zero; close it to stop early.
   */
  public InputStream archive(PodRef ref, String dir, List<String> paths) {
    Workload.requireText(dir, "path");
    List<String> argv = new ArrayList<>(List.of("tar", "cf", "-", "-C", dir));
    if (paths == null || paths.isEmpty()) {
      argv.add(".");
    } else {
      for (String p : paths) {
        // "--" is not portable to busybox tar; a leading dash would be read as an option
        argv.add(p.startsWith("-") ? "./" + p : p);
      }
    }
    Exec exec = start(ref, argv, false);
    return new FilterInputStream(exec.watch.getOutput()) {
      private boolean checked;

      @Override
      public int read() throws IOException {
        int b;
        try {
          b = super.read();
        } catch (IOException e) {
          throw exec.explain(e, "tar cf - -C " + dir);
        }
        if (b < 0) {
          end();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
          // InputStream.readAllBytes asks for 0 bytes when its buffer is full; the exec stream
          // asserts len > 0
          return 0;
        }
        int n;
        try {
          n = super.read(buf, off, len);
        } catch (IOException e) {
          throw exec.explain(e, "tar cf - -C " + dir);
        }
        if (n < 0) {
          end();
        }
        return n;
      }

      private void end() throws IOException {
        if (!checked) {
          checked = true;
          exec.requireSuccess("tar cf - -C " + dir);
        }
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          exec.watch.close();
        }
      }
    };
  }

  /**
   * Streams a tar into {@code tar xf - -C dir} in the container and waits until tar exits
   * successfully.
   */
  public long extract(PodRef ref, String dir, InputStream tar) throws IOException {
    return extract(ref, dir, out -> tar.transferTo(out));
  }

  /** Something that writes a tar stream, e.g. {@code out -> repository.copyAsTar(ref, out)}. */
  @FunctionalInterface
  public interface TarWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Runs {@code tar xf - -C dir} in the container, lets {@code writer} write the tar into its input
   * and waits until tar exits successfully. Returns the bytes written.
   */
  public long extract(PodRef ref, String dir, TarWriter writer) throws IOException {
    Workload.requireText(dir, "path");
    Exec exec = start(ref, List.of("tar", "xf", "-", "-C", dir), true);
    CountingStdin in = new CountingStdin(exec.watch.getInput(), exec);
    try {
      writer.writeTo(in);
      if (!exec.exit.isDone() && !in.endsWithZeroBlocks()) {
        // tar stops at the end-of-archive blocks; write them for a writer that did not (writing
        // more after
        // them would race tar's exit and break the exec before its status arrives)
        in.write(new byte[1024]);
      }
      in.flush();
      exec.requireSuccess("tar xf - -C " + dir);
      return in.count;
    } catch (IOException e) {
      if (exec.exit.isDone()) {
        exec.requireSuccess("tar xf - -C " + dir);
      }
      throw e;
    } finally {
      exec.watch.close();
    }
  }

  /** The exec's stdin: counts bytes, never closes the exec, and stops early when tar has exited. */
  private static final class CountingStdin extends OutputStream {
    private final OutputStream out;
    private final Exec exec;
    private static final int FRAME = 16 * 1024;
    private final byte[] tail = new byte[1024];
    long count;

    /** Whether the last 1024 bytes written are zero: a tar's end-of-archive marker. */
    boolean endsWithZeroBlocks() {
      if (count < tail.length) {
        return false;
      }
      for (byte b : tail) {
        if (b != 0) {
          return false;
        }
      }
      return true;
    }

    CountingStdin(OutputStream out, Exec exec) {
      this.out = out;
      this.exec = exec;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (exec.exit.isDone()) {
        throw new IOException("tar in " + exec.ref + " exited before its input ended");
      }
      // small frames: a mock API server (and some proxies) close the exec on frames over 64 KiB
      for (int i = 0; i < len; i += FRAME) {
        int n = Math.min(FRAME, len - i);
        out.write(b, off + i, n);
        out.flush();
      }
      count += len;
      if (len >= tail.length) {
        System.arraycopy(b, off + len - tail.length, tail, 0, tail.length);
      } else {
        System.arraycopy(tail, len, tail, 0, tail.length - len);
        System.arraycopy(b, off, tail, tail.length - len, len);
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /**
   * Removes everything inside {@code dir} (not the directory itself, which may be a mount point).
   */
  public void empty(PodRef ref, String dir) {
    Workload.requireText(dir, "path");
    if (dir.equals("/")) {
      throw ActionException.invalid("refusing to empty '/' of " + ref);
    }
    Exec exec = start(ref, List.of("sh", "-c", EMPTY_DIR_SCRIPT, "sh", dir), false);
    try {
      exec.watch.getOutput().transferTo(OutputStream.nullOutputStream());
      exec.requireSuccess("emptying " + dir);
    } catch (IOException e) {
      throw new IllegalStateException("emptying " + dir + " in " + ref + ": " + e.getMessage(), e);
    } finally {
      exec.watch.close();
    }
  }

  /**
   * Whether programs exec'd in the container run as root ({@code id -u} prints 0); false when that
   * cannot be told. Only root's tar may give a folder it does not own another mode or owner.
   */
  public boolean runsAsRoot(PodRef ref) {
    Exec exec = start(ref, List.of("id", "-u"), false);
    try {
      byte[] out = exec.watch.getOutput().readNBytes(64);
      exec.watch.getOutput().transferTo(OutputStream.nullOutputStream());
      return exec.watch.exitCode().get(30, TimeUnit.SECONDS) == 0
          && new String(out, StandardCharsets.UTF_8).strip().equals("0");
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return false;
    } finally {
      exec.watch.close();
    }
  }

  private Exec start(PodRef ref, List<String> argv, boolean stdin) {
    Exec exec = new Exec(ref, clients.get());
    var op =
        clients
            .get()
            .pods()
            .inNamespace(ref.namespace())
            .withName(ref.pod())
            .inContainer(ref.container());
    var streams = stdin ? op.redirectingInput().redirectingOutput() : op.redirectingOutput();
    exec.watch =
        streams.writingError(exec.stderr).usingListener(exec).exec(argv.toArray(String[]::new));
    return exec;
  }

  /** One exec: its watch, stderr, and the exit status the API server reported. */
  private static final class Exec implements ExecListener {
    final PodRef ref;
    final KubernetesClient client;
    final ByteArrayOutputStream stderr = new BoundedBuffer(STDERR_LIMIT);
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    volatile Status status;
    volatile Throwable failure;
    ExecWatch watch;

    Exec(PodRef ref, KubernetesClient client) {
      this.ref = ref;
      this.client = client;
    }

    @Override
    public void onFailure(Throwable t, Response response) {
      failure = t;
      // the exit status may still be on its way (a closed stdin fails before it arrives): give it a
      // moment
      exit.completeOnTimeout(-1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void onExit(int code, Status status) {
      this.status = status;
      exit.complete(code);
    }

    @Override
    public void onClose(int code, String reason) {
      exit.completeOnTimeout(-1, 1, TimeUnit.SECONDS);
    }

    /** An I/O failure of the exec streams: the exit status says more when there is one. */
    IOException explain(IOException e, String what) {
      try {
        exit.get(2, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return e;
      } catch (ExecutionException | TimeoutException te) {
        return e;
      }
      requireSuccess(what);
      return e;
    }

    void requireSuccess(String what) {
      int code;
      try {
        code = exit.get(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.util.concurrent.CancellationException("interrupted waiting for " + what);
      } catch (ExecutionException | TimeoutException e) {
        throw ActionException.check(
            what
                + " in "
                + ref
                + " did not finish within "
                + EXIT_WAIT.toSeconds()
                + "s after its input ended\n"
                + new PodDiagnostics(client).describe(ref.namespace(), ref.pod()));
      }
      if (code == 0) {
        // the API server's Success status is authoritative, even if a late write of padding failed
        return;
      }
      String err = stderr.toString(StandardCharsets.UTF_8).strip();
      String message = status != null && status.getMessage() != null ? status.getMessage() : "";
      String text = (err + "\n" + message).toLowerCase();
      if (code == 126
          || code == 127
          || text.contains("executable file not found")
          || text.contains("tar: not found")
          || text.contains("no such file or directory: tar")) {
        if (what.startsWith("tar")) {
          throw ActionException.check(
              ref
                  + " has no usable 'tar' (exit code "
                  + code
                  + "): "
                  + firstNonEmpty(message, err)
                  + "; use an image with tar, or back up through a helper pod");
        }
      }
      if (failure != null && code < 0 && what.startsWith("tar") && !tarRuns()) {
        throw ActionException.check(
            ref
                + " has no usable 'tar' (the exec failed: "
                + failure.getMessage()
                + "; a probe of 'tar --help' failed too); use an image with tar, or restore through a helper pod");
      }
      if (failure != null && code < 0) {
        throw new IllegalStateException(
            what + " in " + ref + " failed: " + failure.getMessage(), failure);
      }
      throw ActionException.check(
          what
              + " in "
              + ref
              + " failed with exit code "
              + code
              + (err.isEmpty() ? "" : ": " + tail(err))
              + (message.isEmpty() ? "" : " (" + message + ")")
              + "\n"
              + new PodDiagnostics(client).describe(ref.namespace(), ref.pod()));
    }

    /**
     * Whether tar starts at all in the container; used when an exec broke before reporting its
     * status.
     */
    private boolean tarRuns() {
      try {
        ExecWatch probe =
            client
                .pods()
                .inNamespace(ref.namespace())
                .withName(ref.pod())
                .inContainer(ref.container())
                .redirectingOutput()
                .redirectingError()
                .exec("tar", "--help");
        try (probe) {
          probe.getOutput().transferTo(OutputStream.nullOutputStream());
          int code = probe.exitCode().get(30, TimeUnit.SECONDS);
          // 0, or a usage error: tar exists; 126/127 or no status at all: it does not start
          return code >= 0 && code <= 2;
        }
      } catch (Exception e) {
        return false;
      }
    }

    private static String firstNonEmpty(String a, String b) {
      return a == null || a.isBlank() ? tail(b) : a;
    }

    private static String tail(String s) {
      return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
    }
  }

  /**
   * Keeps the first bytes of stderr; tar's complaints come first and a flood must not fill memory.
   */
  private static final class BoundedBuffer extends ByteArrayOutputStream {
    private final int limit;

    BoundedBuffer(int limit) {
      this.limit = limit;
    }

    @Override
    public synchronized void write(int b) {
      if (count < limit) {
        super.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      super.write(b, off, Math.max(0, Math.min(len, limit - count)));
    }
  }
}
