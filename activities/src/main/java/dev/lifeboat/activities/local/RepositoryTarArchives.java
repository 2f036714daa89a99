package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.BackupResult;
import dev.lifeboat.activities.archive.Compression;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.SourceLock;
import dev.lifeboat.activities.kubernetes.PodVolumes;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** The repository as the Kubernetes side of backup and restore sees it: tar in, tar out. */
final class RepositoryTarArchives implements PodVolumes.TarArchives {
  private static final int RECORD = 10240;
  private final Repository repository;
  private final Compression compression;
  private final boolean full;

  RepositoryTarArchives(Repository repository) {
    this(repository, Compression.GZIP, false);
  }

  /**
   * Backups written through it become archives of {@code compression}'s kind; {@code full} copies
   * nothing from the previous archive.
   */
  RepositoryTarArchives(Repository repository, Compression compression, boolean full) {
    this.repository = repository;
    this.compression = compression;
    this.full = full;
  }

  @Override
  public Map<String, Object> writeFromTar(
      String set, String source, InputStream tar, ActionContext ctx) throws IOException {
    BackupResult r =
        repository.writeFromTar(set, source, tar, full, compression, new ContextProgress(ctx));
    BackupAction.logArchived(r, ctx);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("path", r.ref().path().toString());
    out.put("archive", r.ref().name());
    out.put("set", r.ref().set());
    out.put("source", r.ref().source());
    out.put("files", r.files());
    out.put("bytes", r.bytes());
    out.put("compressedBytes", r.compressedBytes());
    out.put("sha256", r.sha256());
    out.put("skipped", r.skipped());
    r.skipped().forEach(n -> ctx.log("skipped " + n.path() + ": " + n.reason()));
    out.put("changed", r.changed());
    r.changed().forEach(n -> ctx.log("changed " + n.path() + ": " + n.reason()));
    out.put("cleaned", r.cleaned());
    out.put("reusedFiles", r.reusedFiles());
    out.put("reusedBytes", r.reusedBytes());
    return out;
  }

  @Override
  public Map<String, Object> copyAsTar(
      String set,
      String source,
      String archive,
      boolean folderItself,
      PodVolumes.TarSink sink,
      ActionContext ctx)
      throws IOException {
    ArchiveRef found = VerifyAction.resolve(repository, "restore", set, source, archive);
    try (SourceLock lock = repository.lockArchive(found, ctx.runId(), new ContextProgress(ctx))) {
      // resolved again under the lock: what was latest before the wait may have been pruned or
      // found damaged
      return copyLocked(
          VerifyAction.resolve(repository, "restore", set, source, archive),
          folderItself,
          sink,
          ctx);
    }
  }

  private Map<String, Object> copyLocked(
      ArchiveRef ref, boolean folderItself, PodVolumes.TarSink sink, ActionContext ctx)
      throws IOException {
    // never stream a damaged archive into a volume that was just emptied
    var verified = repository.verify(ref, new ContextProgress(ctx), "restore");
    long written =
        sink.accept(
            out -> {
              long n = repository.copyAsTar(ref, out, folderItself);
              // GNU tar reads stdin in 10240-byte records and only stops at the end-of-archive
              // blocks once the
              // record is complete; a pod's stdin cannot be closed over exec, so pad to a whole
              // record
              long pad = (RECORD - n % RECORD) % RECORD;
              out.write(new byte[(int) pad]);
            });
    ctx.log("restored " + verified.files() + " files from " + ref.path());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("archive", ref.path().toString());
    out.put("files", verified.files());
    out.put("bytes", verified.bytes());
    out.put("tarBytes", written);
    return out;
  }
}
