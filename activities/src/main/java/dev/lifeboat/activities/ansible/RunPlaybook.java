package dev.lifeboat.activities.ansible;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.command.Invocation;
import dev.lifeboat.activities.command.ProgramResult;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.runbook.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The {@code ansible} action: runs {@code ansible-playbook} (rebuild Kubernetes, deploy storage),
 * streams its output into the step log, shows the running task as the step's progress message, and
 * fails the step naming every failed or unreachable host and the task where it stopped.
 */
public final class RunPlaybook implements Action<RunPlaybook.Args> {
  static final String PROGRAM = "ansible-playbook";
  static final String INSTALL_HINT =
      PROGRAM
          + " was not found on the worker's PATH. Install Ansible on the worker"
          + " (Debian/Ubuntu: apt-get install ansible-core; elsewhere: pipx install ansible-core) or put "
          + PROGRAM
          + " on the PATH the worker runs with.";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProgramRunner runner;
  private final Path playbookRoot;

  /**
   * @param runner runs the child process; its PATH is where ansible-playbook is found
   * @param playbookRoot where relative playbook and inventory paths are resolved (e.g.
   *     runbooks/playbooks)
   */
  public RunPlaybook(ProgramRunner runner, Path playbookRoot) {
    this.runner = runner;
    this.playbookRoot = playbookRoot;
  }

  /**
   * A connection plugin's name: {@code local}, {@code paramiko_ssh}, or fully qualified ({@code
   * ansible.builtin.ssh}); never an option or a path.
   */
  static final String CONNECTION_PLUGIN = "[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*";

  /** Arguments of {@code ansible}. */
  public record Args(
      @Arg(description = "playbook file, absolute or relative to the playbook directory")
          String playbook,
      @Arg(
              required = false,
              pattern = INVENTORY,
              description =
                  "an inventory file or folder inside the playbook directory, as a relative path"
                      + " without '..' (e.g. inventory/hosts.ini), or an inline list of host names"
                      + " such as 'localhost,' or 'node1,node2'")
          String inventory,
      @Arg(
              required = false,
              pattern = EXTRA_VARIABLE,
              description =
                  "variables passed to the playbook (--extra-vars @file), named with letters,"
                      + " digits and _ and none of Ansible's own (ansible_*, hostvars, groups,"
                      + " omit, …); strings are data, never templates")
          Map<String, Object> extraVars,
      @Arg(required = false, description = "limit the run to these hosts/groups (--limit)")
          String limit,
      @Arg(
              required = false,
              description = "only run tasks with these tags, comma-separated (--tags)")
          String tags,
      @Arg(required = false, description = "dry run: report what would change (--check)")
          Boolean check,
      @Arg(
              required = false,
              pattern = CONNECTION_PLUGIN,
              description =
                  "connection plugin (--connection): a plugin name such as local or ssh, or a"
                      + " collection's such as community.docker.docker")
          String connection,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "kill ansible-playbook after this long (default 1h)")
          String timeout) {

    public Args {
      extraVars = extraVars == null ? Map.of() : extraVars;
      check = check != null && check;
      timeout = timeout == null || timeout.isBlank() ? "1h" : timeout;
    }
  }

  /** One host's PLAY RECAP counts. */
  public record HostRecap(
      int ok, int changed, int unreachable, int failed, int skipped, int rescued, int ignored) {}

  /**
   * Step output: recap per host, how many tasks ran, how long it took, whether it was a dry run.
   */
  public record Result(
      Map<String, HostRecap> hosts,
      int tasks,
      List<String> taskNames,
      String duration,
      boolean check) {}

  @Override
  public String name() {
    return "ansible";
  }

  @Override
  public String description() {
    return "Runs an Ansible playbook (ansible-playbook) and reports the PLAY RECAP per host";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    if (args.playbook() == null || args.playbook().isBlank()) {
      throw ActionException.invalid("ansible: 'playbook' is required");
    }
    Path playbook = playbookRoot.resolve(args.playbook()).normalize();
    if (!Files.isRegularFile(playbook)) {
      throw ActionException.invalid("ansible: playbook '" + playbook + "' does not exist");
    }
    Duration timeout;
    try {
      timeout = Durations.parse(args.timeout());
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("ansible: timeout " + e.getMessage());
    }
    Path scratch =
        Files.createTempDirectory(
            "lifeboat-ansible-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      List<String> argv = new ArrayList<>(List.of(PROGRAM));
      if (args.inventory() != null && !args.inventory().isBlank()) {
        argv.add("--inventory");
        argv.add(inventory(args.inventory()));
      }
      if (!args.extraVars().isEmpty()) {
        // A file keeps variables (possibly secrets) out of the process list and the logged command
        // line;
        // every string in it is tagged !unsafe, so Jinja never evaluates a value that came from a
        // run.
        Path vars = scratch.resolve("extra-vars.yml");
        Files.writeString(vars, unsafeYaml(args.extraVars()));
        argv.add("--extra-vars");
        argv.add("@" + vars);
      }
      addOption(argv, "--limit", args.limit());
      addOption(argv, "--tags", args.tags());
      addOption(argv, "--connection", args.connection());
      if (args.check()) {
        argv.add("--check");
      }
      argv.add(playbook.toString());

      PlaybookOutput output = new PlaybookOutput(context::message);
      context.message("starting " + playbook.getFileName() + (args.check() ? " (check mode)" : ""));
      context.log(ProgramRunner.commandLine(argv));
      Invocation invocation =
          Invocation.of(argv, timeout)
              .inDirectory(playbook.getParent())
              .withEnvironment(
                  Map.of(
                      "ANSIBLE_NOCOLOR", "1",
                      "ANSIBLE_FORCE_COLOR", "0",
                      "ANSIBLE_STDOUT_CALLBACK", "default",
                      "ANSIBLE_RETRY_FILES_ENABLED", "0",
                      "PYTHONUNBUFFERED", "1"))
              .onLine(output::accept)
              .ifNotFound(INSTALL_HINT);
      ProgramResult result = runner.run(invocation, context);

      List<PlaybookOutput.HostFailure> failed = output.failedHosts();
      if (!failed.isEmpty()) {
        throw ActionException.check(
            "ansible: playbook "
                + playbook.getFileName()
                + " failed: "
                + failed.stream()
                    .map(PlaybookOutput.HostFailure::describe)
                    .collect(Collectors.joining("; ")));
      }
      if (result.exitCode() != 0) {
        throw ActionException.check(
            "ansible: ansible-playbook "
                + playbook.getFileName()
                + " exited with code "
                + result.exitCode()
                + " ("
                + meaning(result.exitCode())
                + ")"
                + tail(result));
      }
      if (output.recap().isEmpty()) {
        throw ActionException.check(
            "ansible: playbook "
                + playbook.getFileName()
                + " matched no hosts (no PLAY RECAP)"
                + tail(result));
      }
      String took = ProgramResult.human(result.duration());
      context.message(
          playbook.getFileName()
              + " done: "
              + output.taskNames().size()
              + " tasks on "
              + output.recap().size()
              + " host(s) in "
              + took);
      return new Result(
          output.recap(), output.taskNames().size(), output.taskNames(), took, args.check());
    } finally {
      deleteTree(scratch);
    }
  }

  /**
   * The variables as YAML with every string value tagged {@code !unsafe} (Ansible then treats it as
   * data, never a template). Scalars are written in JSON syntax, which YAML's double-quoted style
   * reads the same; keys are names, so template syntax in a key is refused.
   */
  static String unsafeYaml(Map<String, Object> vars) throws IOException {
    for (Object key : vars.keySet()) {
      checkVariableName(String.valueOf(key));
    }
    StringBuilder out = new StringBuilder();
    out.append("{");
    appendEntries(out, vars, "");
    return out.append("}\n").toString();
  }

  private static void appendEntries(StringBuilder out, Map<?, ?> map, String path)
      throws IOException {
    boolean first = true;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (key.contains("{") || key.contains("%") || key.contains("#")) {
        throw ActionException.invalid(
            "ansible: extraVars key '"
                + path
                + key
                + "' must be a plain name, not template syntax");
      }
      out.append(first ? "" : ", ").append(JSON.writeValueAsString(key)).append(": ");
      appendValue(out, e.getValue(), path + key + ".");
      first = false;
    }
  }

  private static void appendValue(StringBuilder out, Object value, String path) throws IOException {
    if (value instanceof Map<?, ?> map) {
      out.append("{");
      appendEntries(out, map, path);
      out.append("}");
    } else if (value instanceof Iterable<?> list) {
      out.append("[");
      boolean first = true;
      for (Object item : list) {
        out.append(first ? "" : ", ");
        appendValue(out, item, path);
        first = false;
      }
      out.append("]");
    } else if (value == null || value instanceof Number || value instanceof Boolean) {
      out.append(JSON.writeValueAsString(value));
    } else {
      out.append("!unsafe ").append(JSON.writeValueAsString(String.valueOf(value)));
    }
  }

  /**
   * A top-level extra variable's name: see {@link #checkVariableName}. Checked before a run starts
   * (the argument's pattern) and again here.
   */
  private static final String PLAIN_NAME = "[A-Za-z_][A-Za-z0-9_]{0,127}";

  static final String EXTRA_VARIABLE =
      "(?!(?i:ansible_))(?!(?:hostvars|groups|group_names|inventory_hostname"
          + "|inventory_hostname_short|inventory_dir|inventory_file|inventory_sources|omit"
          + "|play_hosts|playbook_dir|role_name|role_names|role_path|vars|environment)$)"
          + PLAIN_NAME;

  private static final java.util.regex.Pattern EXTRA_VARIABLE_NAME =
      java.util.regex.Pattern.compile(EXTRA_VARIABLE);

  private static final java.util.regex.Pattern VARIABLE_NAME =
      java.util.regex.Pattern.compile(PLAIN_NAME);

  /**
   * A top-level extra variable: a plain name that is none of Ansible's own (its magic variables
   * would change which hosts and files a playbook believes it works on). Extra variables win over
   * every other source, connection settings included: {@code ansible_python_interpreter}, {@code
   * ansible_shell_executable}, {@code ansible_become_exe} or {@code ansible_ssh_common_args} given
   * by a run's parameters would be a command Ansible runs as root, however its value is quoted.
   */
  static void checkVariableName(String key) {
    if (!VARIABLE_NAME.matcher(key).matches()) {
      throw ActionException.invalid(
          "ansible: extraVars key '"
              + key
              + "' must be a plain variable name (letters, digits and _, not starting with a"
              + " digit, at most 128 characters)");
    }
    String lower = key.toLowerCase(java.util.Locale.ROOT);
    if (!EXTRA_VARIABLE_NAME.matcher(key).matches()) {
      throw ActionException.invalid(
          "ansible: extraVars key '"
              + key
              + "' is refused: "
              + (lower.startsWith("ansible_")
                  ? "ansible_* variables choose how and as whom Ansible connects and what it runs"
                      + " (interpreter, shell, become); set them in the inventory, not in a run's"
                      + " parameters"
                  : "it is one of Ansible's own variables"));
    }
  }

  /** A host name or address in an inline inventory list. */
  private static final String HOST_NAME = "[A-Za-z0-9_][A-Za-z0-9_.:\\[\\]-]{0,252}";

  private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(HOST_NAME);

  /**
   * What {@code inventory} may be, checked before a run starts (the argument's pattern) and again
   * here: blank; an inline host list (a comma makes it one) of names only; or a relative path whose
   * segments start with a letter, digit or _ (so no absolute path, no {@code ..}, no option). That
   * the path stays inside the playbook directory once links are followed only the worker can tell.
   */
  static final String INVENTORY =
      "|\\s*(?:"
          + HOST_NAME
          + ")?\\s*(?:,\\s*(?:"
          + HOST_NAME
          + ")?\\s*)+"
          + "|[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*/?";

  private static final java.util.regex.Pattern INVENTORY_VALUE =
      java.util.regex.Pattern.compile(INVENTORY);

  /**
   * An inline host list ({@code "localhost,"}: names and addresses only) or an inventory file or
   * folder inside the playbook directory, which the people who install Lifeboat write: an inventory
   * sets connection variables and may be a program, so one named by a run's parameters must not
   * come from anywhere else.
   */
  private String inventory(String inventory) {
    if (inventory.contains(",")) {
      for (String host : inventory.split(",")) {
        String h = host.strip();
        if (!h.isEmpty() && !HOST.matcher(h).matches()) {
          throw ActionException.invalid(
              "ansible: inventory host '"
                  + host
                  + "' is not a host name or address (an inline list such as 'localhost,' or"
                  + " 'node1,node2' holds names only)");
        }
      }
      if (!INVENTORY_VALUE.matcher(inventory).matches()) {
        // the rule the run was checked with before it started (blanks: spaces, tabs, newlines)
        throw ActionException.invalid(
            "ansible: inventory '"
                + inventory
                + "' is not an inline host list of names separated by commas and spaces");
      }
      return inventory;
    }
    if (!INVENTORY_VALUE.matcher(inventory).matches()) {
      throw ActionException.invalid(
          "ansible: inventory '"
              + inventory
              + "' is refused: name a file or folder inside the playbook directory "
              + playbookRoot
              + " by a relative path without '..' (e.g. inventory/hosts.ini)");
    }
    Path path = playbookRoot.resolve(inventory).normalize();
    if (!Files.exists(path)) {
      throw ActionException.invalid("ansible: inventory '" + path + "' does not exist");
    }
    try {
      Path real = path.toRealPath();
      if (!real.startsWith(playbookRoot.toRealPath())) {
        throw ActionException.invalid(
            "ansible: inventory '"
                + inventory
                + "' is outside the playbook directory "
                + playbookRoot
                + " (really "
                + real
                + "); an inventory is part of the installation, name one inside it");
      }
    } catch (IOException e) {
      throw ActionException.invalid(
          "ansible: inventory '" + path + "' cannot be resolved: " + e.getMessage());
    }
    return path.toString();
  }

  private static void addOption(List<String> argv, String flag, String value) {
    if (value != null && !value.isBlank()) {
      argv.add(flag);
      argv.add(value);
    }
  }

  private static String tail(ProgramResult result) {
    return result.tail().isEmpty() ? "" : "; last output:\n" + result.tailText();
  }

  /** ansible-playbook's documented exit codes. */
  private static String meaning(int code) {
    return switch (code) {
      case 1 -> "error";
      case 2 -> "one or more hosts failed";
      case 3 -> "one or more hosts were unreachable";
      case 4 -> "parser error or unreachable hosts";
      case 5 -> "bad or incomplete options";
      case 99 -> "interrupted by the user";
      case 250 -> "unexpected error";
      default -> "unexpected exit code";
    };
  }

  private static void deleteTree(Path dir) throws IOException {
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
