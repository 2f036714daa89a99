package dev.lifeboat.activities.archive;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Real mounts for a test: made as root only (else the test is skipped), all undone after it. */
final class TestMounts implements AutoCloseable {
  private final List<Path> mounted = new ArrayList<>();

  /** Runs {@code mount args}; its last argument is the mount point. */
  void mount(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("mount"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean done = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(done, "cannot mount here (needs root): " + out.strip());
    mounted.add(Path.of(args[args.length - 1]));
  }

  /** Unmounts all, the last made first: one may lie in another. */
  @Override
  public void close() throws Exception {
    for (int i = mounted.size() - 1; i >= 0; i--) {
      new ProcessBuilder("umount", mounted.get(i).toString())
          .redirectErrorStream(true)
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
    mounted.clear();
  }
}
