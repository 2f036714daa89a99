package dev.lifeboat.activities.kubernetes;

import static dev.lifeboat.activities.kubernetes.RunbookHarness.step;
import static dev.lifeboat.activities.kubernetes.RunbookHarness.tree;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.runbook.Step;
import dev.lifeboat.workflows.RunProgress;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.StepProgress;
import dev.lifeboat.workflows.StepState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code members-backup-all} and {@code members-restore-all} as shipped, through their child runs
 * of {@code member-backup}/{@code member-restore}: a missing member fails alone, the others are
 * archived, no more members run at once than the runbook allows, and every member is back up
 * without helpers.
 */
class MembersAllRunbooksTest {
  static final String NS = "quorum";

  @TempDir static Path tmp;
  static RunbookHarness h;

  @BeforeAll
  static void start() throws Exception {
    h =
        new RunbookHarness(
            tmp, "members-backup-all", "members-restore-all", "member-backup", "member-restore");
    MockCluster c = h.cluster;
    c.namespace(NS);
    // member2 is in the list but was never deployed (or its StatefulSet was deleted)
    for (int m : new int[] {1, 3}) {
      c.pvc(NS, "data-member" + m + "-0", "ReadWriteOnce");
      c.statefulSet(NS, "member" + m, 1);
      Path data = c.pvcDir(NS, "data-member" + m + "-0");
      Files.createDirectories(data.resolve("geth/chaindata"));
      Files.writeString(
          data.resolve("geth/chaindata/000001.ldb"), ("block " + m + " ").repeat(4000));
      Files.writeString(data.resolve("geth/nodekey"), "nodekey-of-member" + m);
      Files.writeString(data.resolve("permissioned-nodes.json"), "[\"enode://" + m + "\"]");
    }
    for (int m : new int[] {1, 3}) {
      c.awaitPods(NS, Map.of("app", "member" + m), 1);
    }
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @Test
  void backUpAllThenRestoreAll() throws Exception {
    Map<Integer, Map<String, String>> before = new TreeMap<>();
    for (int m : new int[] {1, 3}) {
      before.put(m, tree(h.cluster.pvcDir(NS, "data-member" + m + "-0")));
    }
    // member2's preflight is slowed down so that, were the bound ignored, member3 would start
    // beside 1 and 2
    h.slowDown((run, step) -> run.endsWith("/members[2]") && step.equals("preflight"), 1500);
    h.calls.clear();

    RunProgress backup = h.run("members-backup-all", Map.of("members", List.of(1, 2, 3)));

    // one failed member does not stop the others; the run then fails, so a missing member is never
    // green
    assertThat(backup.status()).isEqualTo(RunStatus.FAILED);
    assertThat(backup.error())
        .contains("members[2]")
        .contains("statefulset/member2")
        .doesNotContain("members[1]")
        .doesNotContain("members[3]");
    StepProgress members = step(backup, "members");
    assertThat(members.state()).isEqualTo(StepState.FAILED);
    assertThat(members.lastError()).isEqualTo("1 of 3 failed");
    assertThat(members.output()).containsEntry("succeeded", 2).containsEntry("failed", 1);
    assertThat(step(backup, "members[1]").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(backup, "members[3]").state()).isEqualTo(StepState.SUCCEEDED);
    StepProgress two = step(backup, "members[2]");
    assertThat(two.state()).isEqualTo(StepState.FAILED);
    assertThat(two.lastError())
        .contains("step 'preflight' failed")
        .contains("not found in namespace 'quorum'")
        .contains("statefulset/member2")
        .contains("pvc/data-member2-0");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) members.output().get("items");
    assertThat(items)
        .extracting(i -> i.get("state"))
        .containsExactly("SUCCEEDED", "FAILED", "SUCCEEDED");
    assertThat(String.valueOf(items.get(1).get("error"))).contains("statefulset/member2");
    // member2 never got past its preflight: nothing was scaled, no helper pod was started for it
    assertThat(h.calls)
        .filteredOn(c -> c.runId().endsWith("/members[2]"))
        .extracting(RunbookHarness.Call::stepKey)
        .containsOnly("preflight");

    // members 1 and 3 are archived (and verified); member 2 has nothing
    for (int m : new int[] {1, 3}) {
      List<ArchiveInfo> archives = h.repository.list("members", "member" + m);
      assertThat(archives).as("member" + m).hasSize(1);
      assertThat(archives.get(0).files()).isEqualTo(3);
      assertThat(archives.get(0).verified()).isTrue();
    }
    assertThat(h.repository.list("members", "member2")).isEmpty();

    // at most `parallelism` members at once, and more than one (they did run side by side)
    int bound =
        h.library.get("members-backup-all").steps().stream()
            .filter(s -> s.id().equals("members"))
            .findFirst()
            .map(Step::parallelism)
            .orElseThrow();
    assertThat(bound).isEqualTo(2);
    int overlap = maxOverlap(h.calls, "members-backup-all");
    assertThat(overlap)
        .as("members running at once")
        .isLessThanOrEqualTo(bound)
        .isGreaterThanOrEqualTo(2);
    everyMemberUpWithoutHelpers();

    // damage both members, then restore both from their latest archives
    for (int m : new int[] {1, 3}) {
      Path data = h.cluster.pvcDir(NS, "data-member" + m + "-0");
      Files.delete(data.resolve("geth/nodekey"));
      Files.writeString(data.resolve("geth/chaindata/000001.ldb"), "truncated");
      Files.writeString(data.resolve("geth/LOCK"), "stale");
    }
    h.slowDown((run, step) -> false, 0);
    h.calls.clear();
    RunProgress restore = h.run("members-restore-all", Map.of("members", List.of(1, 3)));
    assertThat(restore.status()).as(String.valueOf(restore.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(step(restore, "members").output())
        .containsEntry("succeeded", 2)
        .containsEntry("failed", 0);
    for (int m : new int[] {1, 3}) {
      assertThat(tree(h.cluster.pvcDir(NS, "data-member" + m + "-0")))
          .as("member" + m)
          .isEqualTo(before.get(m));
    }
    assertThat(maxOverlap(h.calls, "members-restore-all")).isLessThanOrEqualTo(bound);
    everyMemberUpWithoutHelpers();
  }

  private static void everyMemberUpWithoutHelpers() throws Exception {
    assertThat(h.cluster.podNames(NS))
        .as("helper pods left over")
        .noneMatch(n -> n.startsWith("lifeboat-"));
    for (int m : new int[] {1, 3}) {
      assertThat(
              h.cluster
                  .client
                  .apps()
                  .statefulSets()
                  .inNamespace(NS)
                  .withName("member" + m)
                  .get()
                  .getSpec()
                  .getReplicas())
          .as("member" + m + " replicas")
          .isEqualTo(1);
      h.cluster.awaitPods(NS, Map.of("app", "member" + m), 1);
    }
  }

  /** The most child runs of a parent whose first-to-last action spans overlapped. */
  static int maxOverlap(List<RunbookHarness.Call> calls, String parentPrefix) {
    Map<String, long[]> spans = new TreeMap<>();
    for (RunbookHarness.Call c : calls) {
      int slash = c.runId().indexOf('/');
      if (slash < 0 || !c.runId().startsWith(parentPrefix)) {
        continue;
      }
      spans.merge(
          c.runId(),
          new long[] {c.startNanos(), c.endNanos()},
          (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    List<long[]> events = new ArrayList<>();
    spans
        .values()
        .forEach(
            s -> {
              events.add(new long[] {s[0], 1});
              events.add(new long[] {s[1], -1});
            });
    // at equal times an end comes before a start: a permit handed over is not an overlap
    events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    int now = 0;
    int max = 0;
    for (long[] e : events) {
      now += (int) e[1];
      max = Math.max(max, now);
    }
    return max;
  }
}
