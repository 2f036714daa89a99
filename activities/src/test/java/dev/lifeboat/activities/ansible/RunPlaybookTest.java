package dev.lifeboat.activities.ansible;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.activities.command.RecordingContext;
import dev.lifeboat.workflows.ActionFailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real ansible-playbook against localhost with a local connection. */
class RunPlaybookTest {
  /**
   * The repository's sample playbooks (tests run with the activities module as working directory).
   */
  private static final Path SAMPLES =
      Path.of("..", "runbooks", "playbooks").toAbsolutePath().normalize();

  @TempDir Path dir;
  private ProgramRunner runner;
  private final List<List<String>> launched = new ArrayList<>();
  private final RecordingContext context = new RecordingContext("ansible");

  @BeforeEach
  void setUp() throws Exception {
    Path home = Files.createDirectories(dir.resolve("ansible-home"));
    runner =
        ProgramRunner.fromEnvironment()
            .withVariables(
                Map.of(
                    "ANSIBLE_HOME", home.toString(),
                    "ANSIBLE_LOCAL_TEMP",
                        Files.createDirectories(dir.resolve("ansible-tmp")).toString(),
                    "ANSIBLE_HOST_KEY_CHECKING", "False"))
            .withLaunchListener(launched::add);
  }

  private Map<String, Object> run(Path root, Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(new RunPlaybook(runner, root), args, context);
  }

  private Path playbook(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  @SuppressWarnings("unchecked")
  void passingPlaybookReportsRecapAndShowsTasks() throws Exception {
    playbook(
        "ok.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: Make the data directory
              ansible.builtin.file: { path: "{{ target }}/data", state: directory }
            - name: Say where it is
              ansible.builtin.debug: { msg: "data lives in {{ target }}/data" }
        """);
    Path target = dir.resolve("target");
    Map<String, Object> out =
        run(
            dir,
            Map.of(
                "playbook",
                "ok.yml",
                "inventory",
                "localhost,",
                "connection",
                "local",
                "extraVars",
                Map.of("target", target.toString())));

    assertThat(target.resolve("data")).isDirectory();
    Map<String, Object> hosts = (Map<String, Object>) out.get("hosts");
    assertThat((Map<String, Object>) hosts.get("localhost"))
        .containsEntry("ok", 2)
        .containsEntry("changed", 1)
        .containsEntry("failed", 0)
        .containsEntry("unreachable", 0);
    assertThat(out).containsEntry("tasks", 2).containsEntry("check", false);
    assertThat((List<String>) out.get("taskNames"))
        .containsExactly("Make the data directory", "Say where it is");
    assertThat(context.messages())
        .contains("TASK [Make the data directory]", "TASK [Say where it is]");
    assertThat(context.logLines()).anyMatch(l -> l.contains("data lives in " + target + "/data"));
    assertThat(context.logLines()).anyMatch(l -> l.startsWith("PLAY RECAP"));
    // extra vars travel in a private file, not on the command line
    List<String> argv = launched.get(0);
    assertThat(argv).contains("--extra-vars", "--connection", "local");
    assertThat(String.join(" ", argv)).doesNotContain(target.toString());
  }

  @Test
  void failingTaskFailsNamingHostAndTask() throws Exception {
    playbook(
        "fail.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: A failure we ignore
              ansible.builtin.command: /bin/false
              ignore_errors: true
            - name: Check the disk is mounted
              ansible.builtin.fail: { msg: "the backup disk is not mounted" }
            - name: Never reached
              ansible.builtin.debug: { msg: unreachable code }
        """);
    assertThatThrownBy(
            () ->
                run(
                    dir,
                    Map.of(
                        "playbook", "fail.yml", "inventory", "localhost,", "connection", "local")))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.CHECK_FAILED))
        .hasMessageContaining(
            "host localhost failed at task 'Check the disk is mounted': the backup disk is not mounted")
        .hasMessageNotContaining("A failure we ignore");
  }

  @Test
  void unreachableHostFailsNamingTheHost() throws Exception {
    playbook(
        "ping.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: Ping the node
              ansible.builtin.ping:
        """);
    Files.writeString(
        dir.resolve("hosts.ini"),
        """
        [nodes]
        localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3
        unreachable-host ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_ssh_common_args='-o ConnectTimeout=2'
        """);
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                run(dir, Map.of("playbook", "ping.yml", "inventory", "hosts.ini", "timeout", "2m")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("host unreachable-host was unreachable at task 'Ping the node'")
        .hasMessageNotContaining("host localhost");
    assertThat(System.nanoTime() - start).isLessThan(60_000_000_000L);
  }

  @Test
  @SuppressWarnings("unchecked")
  void samplePlaybooksPassInCheckMode() throws Exception {
    for (String sample : List.of("rebuild-kubernetes.yml", "deploy-storage.yml")) {
      Map<String, Object> out =
          run(
              SAMPLES,
              Map.of(
                  "playbook",
                  sample,
                  "inventory",
                  "localhost,",
                  "connection",
                  "local",
                  "check",
                  true,
                  "extraVars",
                  Map.of("lifeboat_root", dir.resolve("root").toString())));
      Map<String, Object> recap =
          (Map<String, Object>) ((Map<String, Object>) out.get("hosts")).get("localhost");
      assertThat(recap).as(sample).containsEntry("failed", 0).containsEntry("unreachable", 0);
      assertThat((int) recap.get("ok")).as(sample).isGreaterThanOrEqualTo(4);
      assertThat(out).containsEntry("check", true);
    }
    assertThat(dir.resolve("root")).doesNotExist(); // check mode changed nothing
  }

  @Test
  void sampleRebuildPlaybookRunsForRealWithTheExampleInventory() throws Exception {
    Path root = dir.resolve("root");
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("lifeboat_root", root.toString());
    run(
        SAMPLES,
        Map.of(
            "playbook",
            "rebuild-kubernetes.yml",
            "inventory",
            "inventory/hosts.ini",
            "extraVars",
            extra));
    assertThat(root.resolve("etc/rancher/k3s/config.yaml"))
        .content()
        .contains("cluster-cidr: 10.42.0.0/16");
  }

  @Test
  void cancellingTheRunKillsThePlaybook() throws Exception {
    Path pidFile = dir.resolve("sleep.pid");
    playbook(
        "slow.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: Take a long time
              ansible.builtin.shell: "sleep 120 & echo $! > %s; wait"
        """
            .formatted(pidFile));
    java.util.concurrent.CompletableFuture<Map<String, Object>> running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return run(
                    dir,
                    Map.of(
                        "playbook", "slow.yml", "inventory", "localhost,", "connection", "local"));
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    long deadline = System.currentTimeMillis() + 30_000;
    while (!(Files.exists(pidFile) && Files.size(pidFile) > 0)
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    long sleeper = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(context.messages()).contains("TASK [Take a long time]");
    context.local().cancel();
    assertThatThrownBy(() -> running.get(15, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.util.concurrent.CancellationException.class);
    Thread.sleep(300);
    Path stat = Path.of("/proc", Long.toString(sleeper), "stat");
    assertThat(
            !Files.exists(stat)
                || Files.readString(stat).replaceFirst("^.*\\) ", "").startsWith("Z"))
        .as("the playbook's child process was killed")
        .isTrue();
  }

  @Test
  void missingPlaybookIsInvalidNamingThePath() {
    assertThatThrownBy(() -> run(dir, Map.of("playbook", "nope.yml", "inventory", "localhost,")))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT))
        .hasMessageContaining(dir.resolve("nope.yml").toString());
  }

  @Test
  void missingAnsibleGivesTheInstallHint() throws Exception {
    playbook("ok.yml", "- hosts: all\n  tasks: []\n");
    Path empty = Files.createDirectories(dir.resolve("empty-bin"));
    runner = runner.withVariables(Map.of("PATH", empty.toString()));
    assertThatThrownBy(() -> run(dir, Map.of("playbook", "ok.yml", "inventory", "localhost,")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("ansible-playbook was not found")
        .hasMessageContaining("apt-get install ansible-core");
  }

  @Test
  void outputParserKeepsIgnoredFailuresOutAndReadsRecap() {
    PlaybookOutput out = new PlaybookOutput(m -> {});
    for (String line :
        """
        TASK [Ignored] *****
        fatal: [a]: FAILED! => {"changed": false, "msg": "meh"}
        ...ignoring
        TASK [Install k3s] *****
        fatal: [b]: FAILED! => {"changed": true, "msg": "non-zero return code", "stderr": "curl: (6) Could not resolve host"}
        PLAY RECAP *****
        a                          : ok=2    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=1
        b                          : ok=1    changed=1    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
        """
            .split("\n")) {
      out.accept(line);
    }
    assertThat(out.recap().get("a")).isEqualTo(new RunPlaybook.HostRecap(2, 0, 0, 0, 1, 0, 1));
    assertThat(out.failedHosts())
        .singleElement()
        .satisfies(
            f ->
                assertThat(f.describe())
                    .isEqualTo(
                        "host b failed at task 'Install k3s': non-zero return code (stderr: curl: (6) Could not resolve host)"));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void templateSyntaxInExtraVarsIsDataNeverEvaluated(boolean check) throws Exception {
    Path marker = dir.resolve("MARKER");
    Path literal = dir.resolve("literal.txt");
    String payload = "{{ lookup('pipe', 'touch " + marker + "') }}";
    playbook(
        "show.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: Show it
              ansible.builtin.debug: { msg: "got {{ payload }} and {{ nested.list[0] }}" }
            - name: Keep it
              ansible.builtin.copy: { content: "{{ payload }}", dest: "%s" }
        """
            .formatted(literal));
    Map<String, Object> vars =
        Map.of(
            "payload",
            payload,
            "nested",
            Map.of("list", List.of("{% if true %}" + payload + "{% endif %}")));
    run(
        dir,
        Map.of(
            "playbook",
            "show.yml",
            "inventory",
            "localhost,",
            "connection",
            "local",
            "check",
            check,
            "extraVars",
            vars));

    assertThat(marker).as("the lookup never ran").doesNotExist();
    assertThat(context.logLines())
        .anyMatch(l -> l.contains("got " + payload + " and {% if true %}"));
    if (!check) {
      assertThat(Files.readString(literal)).isEqualTo(payload);
    }
  }

  @Test
  void ansiblesOwnVariablesAndInventoriesFromElsewhereAreRefusedBeforeAnythingRuns()
      throws Exception {
    playbook("ok.yml", "- hosts: all\n  gather_facts: false\n  tasks: []\n");
    Path owned = dir.resolve("owned");
    for (String key : List.of("ansible_python_interpreter", "ansible_shell_executable", "groups")) {
      assertThatThrownBy(
              () ->
                  run(
                      dir,
                      Map.of(
                          "playbook",
                          "ok.yml",
                          "inventory",
                          "localhost,",
                          "connection",
                          "local",
                          "extraVars",
                          Map.of(key, "touch " + owned + "; /usr/bin/python3"))))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("'" + key + "'");
    }
    // an inventory sets connection variables and may be a program: only the installation's
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Path evil =
        Files.writeString(
            elsewhere.resolve("hosts.ini"),
            "localhost ansible_python_interpreter='touch " + owned + "; python3'\n");
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.writeString(root.resolve("ok.yml"), "- hosts: all\n  gather_facts: false\n  tasks: []\n");
    for (String inventory : List.of(evil.toString(), "../elsewhere/hosts.ini")) {
      assertThatThrownBy(() -> run(root, Map.of("playbook", "ok.yml", "inventory", inventory)))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(
              "name a file or folder inside the playbook directory "
                  + root
                  + " by a relative path without '..'");
    }
    Files.createSymbolicLink(root.resolve("linked.ini"), evil);
    assertThatThrownBy(() -> run(root, Map.of("playbook", "ok.yml", "inventory", "linked.ini")))
        .hasMessageContaining("is outside the playbook directory");
    assertThatThrownBy(
            () -> run(root, Map.of("playbook", "ok.yml", "inventory", "localhost,$(id),")))
        .hasMessageContaining("inventory host '$(id)' is not a host name or address");
    assertThat(launched).as("ansible-playbook never started").isEmpty();
    assertThat(owned).doesNotExist();
  }

  @Test
  void unsafeYamlQuotesEveryStringAndRefusesTemplateKeys() throws Exception {
    assertThat(RunPlaybook.unsafeYaml(new LinkedHashMap<>(Map.of("a", "it's \"q\"\nline"))))
        .isEqualTo("{\"a\": !unsafe \"it's \\\"q\\\"\\nline\"}\n");
    assertThatThrownBy(() -> RunPlaybook.unsafeYaml(Map.of("{{ x }}", "v")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("extraVars key '{{ x }}'");
  }
}
