package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.api.cli.ApiCommand;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.util.JarLocation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI commands against a running Lifeboat. */
@ExtendWith(DropwizardExtensionsSupport.class)
class CliTest {
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks",
              TestFolders.runbooks(
                      "cli",
                      """
          name: gate
          params:
            - name: who
              required: true
          steps:
            - id: ask
              action: approval
              with:
                message: "approve for ${params.who}"
          """)
                  .toString()),
          ConfigOverride.config("repository", TestFolders.temp("cli-repo").toString()));

  record Outcome(int exit, String out, String err) {}

  @Test
  void runFollowApproveAndList() throws Exception {
    Outcome started = cli("run", "gate", "who=ops");
    assertThat(started.exit()).isZero();
    assertThat(started.out()).startsWith("started gate@");
    String id = started.out().trim().substring("started ".length());

    // follow in the background; it ends once the step is approved
    CompletableFuture<Outcome> follow =
        CompletableFuture.supplyAsync(() -> cli("status", id, "--follow"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> cli("status", id).out().contains("WAITING_FOR_APPROVAL"));
    assertThat(cli("status", id).out()).contains("ask: WAITING_FOR_APPROVAL — approve for ops");
    assertThat(cli("list", "runs").out()).contains(id + "  WAITING_FOR_APPROVAL");

    assertThat(cli("approve", id, "ask", "--comment", "checked the drive").out())
        .contains("approved ask");
    Outcome followed = follow.get(30, TimeUnit.SECONDS);
    assertThat(followed.exit()).isZero();
    assertThat(followed.out()).contains(id + " COMPLETED");
    var approval =
        new ApiClient(APP.getLocalPort())
            .get("/api/runs/" + ApiClient.enc(id))
            .body()
            .get("steps")
            .get(0)
            .get("approval");
    assertThat(approval.get("comment").asText()).isEqualTo("checked the drive");
    assertThat(approval.get("by").asText()).isEqualTo("local");
    assertThat(cli("list", "runbooks").out()).contains("gate");
  }

  @Test
  void errorsAreOneLineWithExitCodes() {
    Outcome unknown = cli("run", "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).isEqualTo("lifeboat: no runbook named 'nope'\n");
    Outcome missing = cli("run", "gate");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("parameter 'who'").contains("required");
    Outcome badParam = cli("run", "gate", "who");
    assertThat(badParam.err()).contains("must look like name=value");
    Outcome twice = cli("run", "gate", "who=a", "who=b");
    assertThat(twice.exit()).isEqualTo(2);
    assertThat(twice.err()).isEqualTo("lifeboat: parameter 'who' is given twice\n");
    // an option the parser does not know (here --url before the command) is a usage error, not a
    // failed run
    Outcome unknownOption =
        cliAt("http://127.0.0.1:" + APP.getLocalPort(), "--url", "http://x", "list", "runs");
    assertThat(unknownOption.exit()).isEqualTo(2);
    // names and ids go into the address as they are, never as a path of their own
    Outcome climbing = cli("run", "../../admin");
    assertThat(climbing.exit()).isEqualTo(2);
    assertThat(climbing.err()).isEqualTo("lifeboat: no runbook named '../../admin'\n");
    Outcome odd = cli("run", "a b?c#d");
    assertThat(odd.exit()).isEqualTo(2);
    assertThat(odd.err()).isEqualTo("lifeboat: no runbook named 'a b?c#d'\n");
    Outcome passwd = cli("status", "../../../etc/passwd");
    assertThat(passwd.exit()).isEqualTo(2);
    assertThat(passwd.err()).isEqualTo("lifeboat: no run with id '../../../etc/passwd'\n");
    Outcome query = cli("status", "gate@x?y=1");
    assertThat(query.exit()).isEqualTo(2);
    assertThat(query.err()).startsWith("lifeboat: no run with id 'gate@x?y=1'");
    Outcome child = cli("status", "gate@20200101T000000.000Z/step[item one]");
    assertThat(child.exit()).isEqualTo(2);
    assertThat(child.err())
        .startsWith("lifeboat: no run with id 'gate@20200101T000000.000Z/step[item one]'");
    Outcome step = cli("approve", "gate@20200101T000000.000Z", "each[a b]");
    assertThat(step.exit()).isEqualTo(2);
    assertThat(step.err()).startsWith("lifeboat: no run with id 'gate@20200101T000000.000Z'");
    Outcome down = cliAt("http://127.0.0.1:1", "list", "runs");
    assertThat(down.exit()).isEqualTo(3);
    assertThat(down.err()).contains("cannot reach Lifeboat");
  }

  private Outcome cli(String... args) {
    return cliAt("http://127.0.0.1:" + APP.getLocalPort(), args);
  }

  static Outcome cliAt(String url, String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--url";
    all[args.length + 1] = url;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    ApiCommand.useStreams(o, e);
    try {
      LifeboatApplication app = new LifeboatApplication();
      Bootstrap<LifeboatConfiguration> bootstrap = new Bootstrap<>(app);
      app.initialize(bootstrap);
      Optional<Throwable> failure =
          new Cli(new JarLocation(CliTest.class), bootstrap, o, e).run(all);
      int code = failure.map(LifeboatApplication::exitCode).orElse(0);
      return new Outcome(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      ApiCommand.useStreams(null, null);
    }
  }
}
