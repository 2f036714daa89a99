package dev.lifeboat.runbook;

import java.util.List;

/** Fake action signatures shared by the runbook tests: shapes like the real ones, no behaviour. */
public final class TestActions {
  private TestActions() {}

  public static List<ActionSignature> signatures() {
    return List.of(
        ActionSignature.of(
            "backup",
            "Archive a folder",
            List.of(
                new ArgSpec("source", "string", true, "what to back up"),
                new ArgSpec("dest", "string", false, "where to"),
                new ArgSpec("tags", "list", false, "labels"))),
        ActionSignature.of(
            "verify",
            "Check an archive",
            List.of(
                new ArgSpec("path", "string", true, "the archive"),
                new ArgSpec("count", "integer", false, "expected files"))),
        ActionSignature.of(
            "scale",
            "Scale a workload",
            List.of(
                new ArgSpec("name", "string", true, "the workload"),
                new ArgSpec("replicas", "integer", true, "how many"))));
  }

  public static RunbookLoader loader() {
    return new RunbookLoader(signatures());
  }
}
