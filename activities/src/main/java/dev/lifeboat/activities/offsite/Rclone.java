package dev.lifeboat.activities.offsite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Redactor;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.Invocation;
import dev.lifeboat.activities.command.ProgramResult;
import dev.lifeboat.activities.command.ProgramRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs rclone against the offsite copy. Each {@link Session} writes a private rclone config (mode
 * 0600 in a private temporary directory, removed when the session closes) that defines the backend
 * and a {@code crypt} remote on top of it, so everything that lands offsite is encrypted, names
 * included. The crypt password reaches rclone only through stdin ({@code rclone obscure -}) and
 * that file; it is never on a command line, and every output line is masked before it is logged.
 */
public final class Rclone {
  static final String PROGRAM = "rclone";
  static final String BASE = "lifeboat-base";
  static final String CRYPT = "lifeboat-offsite";
  static final String INSTALL_HINT =
      "rclone was not found on the worker's PATH. Install it on the worker"
          + " (Debian/Ubuntu: apt-get install rclone; elsewhere: https://rclone.org/install/) or put rclone on the"
          + " PATH the worker runs with.";
  private static final Duration SHORT = Duration.ofMinutes(2);
  private static final List<String> NETWORK_TROUBLE =
      List.of(
          "dial tcp",
          "no such host",
          "connection refused",
          "i/o timeout",
          "network is unreachable",
          "tls handshake timeout",
          "context deadline exceeded",
          "connection reset",
          "temporary failure in name resolution",
          "send request failed",
          "no route to host",
          "did not finish within");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProgramRunner runner;

  /**
   * @param runner runs rclone; its PATH is where rclone is found
   */
  public Rclone(ProgramRunner runner) {
    this.runner = runner;
  }

  /** Writes the private config for {@code config} and returns a session to run rclone with it. */
  Session open(OffsiteConfig config, ActionContext context)
      throws IOException, InterruptedException {
    Path dir =
        Files.createTempDirectory(
            "lifeboat-rclone-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      List<String> secrets = new ArrayList<>(config.secrets());
      String password = obscure(config.password(), secrets, context);
      secrets.add(password);
      Redactor.add(password);
      String salt = null;
      if (config.salt() != null && !config.salt().isEmpty()) {
        salt = obscure(config.salt(), secrets, context);
        secrets.add(salt);
        Redactor.add(salt);
      }
      StringBuilder text = new StringBuilder();
      text.append('[').append(BASE).append("]\ntype = ").append(config.type()).append('\n');
      config.options().forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
      text.append("\n[")
          .append(CRYPT)
          .append("]\ntype = crypt\n")
          .append("remote = ")
          .append(BASE)
          .append(':')
          .append(config.remotePath())
          .append('\n')
          .append("password = ")
          .append(password)
          .append('\n');
      if (salt != null) {
        text.append("password2 = ").append(salt).append('\n');
      }
      text.append("filename_encryption = standard\ndirectory_name_encryption = true\n");
      Path file =
          Files.createFile(
              dir.resolve("rclone.conf"),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, text);
      return new Session(config, dir, file, List.copyOf(secrets));
    } catch (IOException | InterruptedException | RuntimeException e) {
      deleteTree(dir);
      throw e;
    }
  }

  private String obscure(String secret, List<String> secrets, ActionContext context)
      throws IOException, InterruptedException {
    StringBuilder out = new StringBuilder();
    ProgramResult result =
        runner.run(
            Invocation.of(List.of(PROGRAM, "obscure", "-"), SHORT)
                .withStdin(secret.getBytes(StandardCharsets.UTF_8))
                .masking(secrets)
                .quiet()
                .onLine(
                    line -> {
                      if (out.isEmpty() && !line.isBlank()) {
                        out.append(line.trim());
                      }
                    })
                .ifNotFound(INSTALL_HINT),
            context);
    if (result.exitCode() != 0 || out.isEmpty()) {
      // the output may hold the obscured value: say only that it failed
      throw ActionException.check(
          "offsite: 'rclone obscure' failed (exit " + result.exitCode() + "); is rclone working?");
    }
    return out.toString();
  }

  /** Whether the offsite backend can be reached now; {@code reason} says why not. */
  record Reachability(boolean reachable, String reason) {}

  /** Totals rclone reported for a transfer. */
  record Transfer(long files, long bytes, long checks, long deletes, long errors) {}

  /** One private config, used for a few rclone calls and then removed. */
  final class Session implements AutoCloseable {
    private final OffsiteConfig config;
    private final Path dir;
    private final Path configFile;
    private final List<String> secrets;

    private Session(OffsiteConfig config, Path dir, Path configFile, List<String> secrets) {
      this.config = config;
      this.dir = dir;
      this.configFile = configFile;
      this.secrets = secrets;
    }

    Path configFile() {
      return configFile;
    }

    /** {@code lifeboat-offsite:<path>}: a path inside the encrypted remote. */
    String crypt(String path) {
      if (path.startsWith("-")) {
        throw ActionException.invalid(
            "offsite: remote path '" + path + "' must not start with '-'");
      }
      return CRYPT + ":" + path;
    }

    String mask(String text) {
      return Redactor.redact(text, secrets);
    }

    /** {@code --filter-from <file>} flags for {@code rules}, the file kept in this session. */
    List<String> filter(List<String> rules) throws IOException {
      Path file = Files.createTempFile(dir, "filter-", ".txt");
      Files.writeString(file, String.join("\n", rules) + "\n");
      return List.of("--filter-from", file.toString());
    }

    /**
     * Fails when the offsite folder holds entries but none of their names decrypts: it was written
     * with another password or salt. Without this, a fetch says the source has no archive there and
     * a sync starts a second copy beside the first.
     */
    void requireOwnPassword(ActionContext context) throws IOException, InterruptedException {
      List<String> stored = listTop(BASE + ":" + config.remotePath(), context);
      if (stored == null || stored.isEmpty()) {
        return; // nothing there yet (or not listable: the transfer will say why)
      }
      List<String> decrypted = listTop(crypt(""), context);
      // a name decrypted with the wrong key now and then passes as text: garbage is no set name
      if (decrypted != null && decrypted.stream().noneMatch(Session::isSetName)) {
        throw ActionException.check(
            "offsite: the offsite copy "
                + config.describe()
                + " was written with another password (or salt): none of its "
                + stored.size()
                + " entries decrypt with the configured ones. Set the password and salt it was"
                + " made with, or point the offsite path at a new folder");
      }
    }

    private static boolean isSetName(String listed) {
      String name = listed.endsWith("/") ? listed.substring(0, listed.length() - 1) : listed;
      try {
        Repository.checkName(name, "set");
        return true;
      } catch (ActionException e) {
        return false;
      }
    }

    /** The names at the top of {@code remote}; null when rclone could not list it. */
    private List<String> listTop(String remote, ActionContext context)
        throws IOException, InterruptedException {
      List<String> names = new ArrayList<>();
      ProgramResult result =
          run(
              "lsf",
              List.of(remote),
              List.of("--max-depth", "1", "-q"),
              SHORT,
              context,
              line -> {
                if (!line.isBlank() && !line.matches("^\\d{4}/\\d{2}/\\d{2} .*")) {
                  names.add(line);
                }
              },
              false);
      return result.exitCode() == 0 ? names : null;
    }

    /**
     * The files below {@code remote} that {@code filterFlags} select, as paths relative to it; none
     * when it is not there yet. Fails when rclone cannot list it: a sync that cannot see what is
     * offsite cannot tell what it may delete.
     */
    List<String> listFiles(String remote, List<String> filterFlags, ActionContext context)
        throws IOException, InterruptedException {
      List<String> files = new ArrayList<>();
      List<String> logs = new ArrayList<>();
      List<String> flags = new ArrayList<>(List.of("-R", "--files-only", "--use-json-log"));
      flags.addAll(filterFlags);
      ProgramResult result =
          run(
              "lsf",
              List.of(remote),
              flags,
              Duration.ofHours(1),
              context,
              line -> {
                // log lines are JSON; a listed name never starts with '{' (set names cannot)
                if (line.startsWith("{")) {
                  logs.add(line);
                } else if (!line.isBlank()) {
                  files.add(line);
                }
              },
              false);
      if (result.exitCode() == 3) {
        return List.of(); // "directory not found": nothing offsite yet
      }
      if (result.exitCode() != 0) {
        throw new IOException(
            "rclone lsf of "
                + remote
                + " failed with exit code "
                + result.exitCode()
                + ": "
                + (logs.isEmpty() ? result.tailText() : logs.get(logs.size() - 1)));
      }
      return files;
    }

    /**
     * Runs {@code rclone <command> <flags> --config <file> -- <paths>}: the paths come after {@code
     * --}, so none can be read as an option; output lines go to {@code lines}, masked.
     */
    ProgramResult run(
        String command,
        List<String> paths,
        List<String> flags,
        Duration timeout,
        ActionContext context,
        Consumer<String> lines,
        boolean log)
        throws IOException, InterruptedException {
      List<String> argv = new ArrayList<>();
      argv.add(PROGRAM);
      argv.add(command);
      argv.addAll(flags);
      argv.add("--config");
      argv.add(configFile.toString());
      argv.add("--");
      for (String path : paths) {
        if (path.startsWith("-")) {
          throw ActionException.invalid("offsite: path '" + path + "' must not start with '-'");
        }
        argv.add(path);
      }
      Invocation inv =
          Invocation.of(argv, timeout).masking(secrets).onLine(lines).ifNotFound(INSTALL_HINT);
      return runner.run(log ? inv : inv.quiet(), context);
    }

    /**
     * Probes the backend: a local directory is reachable when it or its parent exists (a missing
     * parent means the drive is not mounted); any other backend is listed with short timeouts, and
     * network trouble means offline. Other refusals (bad keys, no such bucket permission) are a
     * human's job.
     */
    Reachability probe(ActionContext context) throws IOException, InterruptedException {
      if (config.type().equals("local")) {
        Path root = Path.of(config.remotePath());
        if (Files.isDirectory(root)) {
          return new Reachability(true, "");
        }
        if (Files.exists(root)) {
          throw ActionException.check("offsite: " + root + " exists but is not a directory");
        }
        Path parent = root.toAbsolutePath().getParent();
        if (parent != null && Files.isDirectory(parent)) {
          return new Reachability(true, "");
        }
        return new Reachability(
            false,
            "offsite directory "
                + root
                + " is not there and neither is "
                + parent
                + " (drive not mounted?)");
      }
      List<String> output = new ArrayList<>();
      ProgramResult result;
      try {
        result =
            run(
                "lsf",
                List.of(BASE + ":" + config.remotePath()),
                List.of(
                    "--max-depth",
                    "1",
                    "--contimeout",
                    "10s",
                    "--timeout",
                    "20s",
                    "--retries",
                    "1",
                    "--low-level-retries",
                    "1"),
                SHORT,
                context,
                output::add,
                false);
      } catch (ActionException e) {
        if (e.getMessage().contains("did not finish within")) {
          return new Reachability(
              false,
              "no answer from " + config.describe() + " within " + ProgramResult.human(SHORT));
        }
        throw e;
      }
      if (result.exitCode() == 0 || result.exitCode() == 3) {
        return new Reachability(true, "");
      }
      String text = String.join("\n", output);
      String lastError =
          output.isEmpty() ? "exit code " + result.exitCode() : output.get(output.size() - 1);
      String lower = text.toLowerCase(Locale.ROOT);
      if (NETWORK_TROUBLE.stream().anyMatch(lower::contains)) {
        return new Reachability(false, config.describe() + " unreachable: " + lastError);
      }
      throw ActionException.check(
          "offsite: "
              + config.describe()
              + " refused the listing (exit "
              + result.exitCode()
              + "): "
              + lastError);
    }

    /**
     * Runs a copy or sync with JSON logs, turning rclone's log lines into readable step-log lines
     * and its periodic stats into progress; returns the final totals.
     */
    Transfer transfer(
        String command,
        List<String> paths,
        List<String> flags,
        Duration timeout,
        ActionContext context)
        throws IOException, InterruptedException {
      List<String> argv = new ArrayList<>(flags);
      argv.addAll(List.of("--use-json-log", "-v", "--stats", "5s", "--stats-log-level", "NOTICE"));
      Transfer[] last = {new Transfer(0, 0, 0, 0, 0)};
      List<String> errors = new ArrayList<>();
      ProgramResult result =
          run(
              command,
              paths,
              argv,
              timeout,
              context,
              line -> {
                JsonNode node = parse(line);
                if (node == null) {
                  context.log(line);
                  return;
                }
                JsonNode stats = node.get("stats");
                if (stats != null) {
                  Transfer t =
                      new Transfer(
                          stats.path("transfers").asLong(),
                          stats.path("bytes").asLong(),
                          stats.path("checks").asLong(),
                          stats.path("deletes").asLong(),
                          stats.path("errors").asLong());
                  last[0] = t;
                  context.progress(t.bytes(), stats.path("totalBytes").asLong(), t.files());
                  context.log(
                      "stats: "
                          + t.files()
                          + " files, "
                          + t.bytes()
                          + " bytes transferred, "
                          + t.checks()
                          + " checked, "
                          + t.deletes()
                          + " deleted, "
                          + t.errors()
                          + " errors");
                  return;
                }
                String level = node.path("level").asText("info");
                String object = node.path("object").asText("");
                String text =
                    level
                        + ": "
                        + (object.isEmpty() ? "" : object + ": ")
                        + node.path("msg").asText("").trim();
                if (level.equals("error") || level.equals("critical")) {
                  synchronized (errors) {
                    errors.add(text);
                  }
                }
                context.log(text);
              },
              false);
      if (result.exitCode() != 0) {
        String detail;
        synchronized (errors) {
          detail =
              errors.isEmpty()
                  ? result.tailText()
                  : String.join("\n", errors.subList(0, Math.min(5, errors.size())));
        }
        throw new IOException(
            "rclone " + command + " failed with exit code " + result.exitCode() + ": " + detail);
      }
      return last[0];
    }

    @Override
    public void close() throws IOException {
      deleteTree(dir);
    }
  }

  private static JsonNode parse(String line) {
    if (!line.startsWith("{")) {
      return null;
    }
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      return null;
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
