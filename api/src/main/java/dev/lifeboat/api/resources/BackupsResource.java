package dev.lifeboat.api.resources;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.DrillRecord;
import dev.lifeboat.activities.archive.Manifest;
import dev.lifeboat.activities.archive.ReadOnlyRepository;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.workflows.ActionFailureTypes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.glassfish.jersey.server.CloseableService;

/**
 * The archives in the local repository: list them, list one archive's files, download one file,
 * pin.
 */
@Path("/backups")
@Produces(MediaType.APPLICATION_JSON)
public final class BackupsResource {
  private final Repository repository;

  public BackupsResource(Repository repository) {
    this.repository = repository;
  }

  /**
   * One archive as the API shows it. {@code state} is {@code unverified}, {@code verified} or
   * {@code damaged} (then {@code error} says why), set {@code stateAt} (epoch ms) {@code stateBy}
   * (verify, restore-drill, ...); {@code verified} is kept for older clients. An unverified
   * archive's {@code error} says its state record cannot be read. {@code lastDrill} is the evidence
   * of the archive's last restore drill, null when it was never drilled. {@code missing}: the
   * archive file is gone while its manifest and state record say it was a backup (then {@code
   * damaged}, {@code sizeBytes} 0, {@code error} naming the file). {@code unreadable}: the entries
   * its backup could not read (denied, an I/O error, vanished) and left out, from its manifest: 0
   * for an archive that holds its whole source, null when the manifest does not say (written before
   * the count was kept, or unreadable).
   */
  public record BackupView(
      String set,
      String source,
      String name,
      String path,
      long createdAt,
      long sizeBytes,
      long files,
      long bytes,
      boolean verified,
      boolean pinned,
      String state,
      String error,
      Long stateAt,
      String stateBy,
      DrillView lastDrill,
      boolean missing,
      Long unreadable) {}

  /**
   * A restore drill's evidence: when (epoch ms), {@code passed} or {@code failed}, the restore's
   * seconds (the measured restore time), files and bytes checked against the manifest, and the
   * error when it failed.
   */
  public record DrillView(
      long at, String result, double seconds, long files, long bytes, String error) {
    static DrillView of(DrillRecord r) {
      return new DrillView(
          r.at() == null ? 0 : r.at().toEpochMilli(),
          r.result(),
          r.restoreSeconds(),
          r.files(),
          r.bytes(),
          r.error());
    }
  }

  @GET
  public List<BackupView> list(@QueryParam("set") String set, @QueryParam("source") String source)
      throws IOException {
    check("set", set);
    check("source", source);
    List<BackupView> all =
        repository.list(blankToNull(set), blankToNull(source)).stream()
            .sorted(Comparator.comparing(ArchiveInfo::createdAt).reversed())
            .map(
                a ->
                    new BackupView(
                        a.set(),
                        a.source(),
                        a.name(),
                        a.path().toString(),
                        a.createdAt().toEpochMilli(),
                        a.sizeBytes(),
                        a.files(),
                        a.bytes(),
                        a.verified(),
                        a.pinned(),
                        a.state().state().word(),
                        a.state().error(),
                        a.state().at() == null ? null : a.state().at().toEpochMilli(),
                        a.state().by(),
                        repository.lastDrill(a.ref()).map(DrillView::of).orElse(null),
                        a.missing(),
                        a.unreadable()))
            .toList();
    return all;
  }

  /**
   * Pins an archive: no prune deletes it (retention rules and quota alike) until it is unpinned. A
   * server that may only read the repository (the shipped API Deployment) answers 409 saying so.
   */
  @POST
  @Path("/{set}/{source}/{archive}/pin")
  public Map<String, Object> pin(
      @PathParam("set") String set,
      @PathParam("source") String source,
      @PathParam("archive") String archive)
      throws IOException {
    ArchiveRef ref = resolve(set, source, archive);
    try {
      repository.pin(ref);
    } catch (ReadOnlyRepository e) {
      throw readOnly(ref, e);
    }
    return Map.of("set", ref.set(), "source", ref.source(), "archive", ref.name(), "pinned", true);
  }

  /**
   * Unpins an archive: retention treats it like any other again. Unpinning an unpinned archive is
   * no error.
   */
  @POST
  @Path("/{set}/{source}/{archive}/unpin")
  public Map<String, Object> unpin(
      @PathParam("set") String set,
      @PathParam("source") String source,
      @PathParam("archive") String archive)
      throws IOException {
    ArchiveRef ref = resolve(set, source, archive);
    try {
      repository.unpin(ref);
    } catch (ReadOnlyRepository e) {
      throw readOnly(ref, e);
    }
    return Map.of("set", ref.set(), "source", ref.source(), "archive", ref.name(), "pinned", false);
  }

  /** One entry of an archive's manifest. */
  public record FileView(
      String path,
      String type,
      long size,
      String mode,
      long mtime,
      String sha256,
      String linkTarget) {}

  /** The files of one archive ({@code latest} for the newest), from its manifest. */
  @GET
  @Path("/{set}/{source}/{archive}/files")
  public Map<String, Object> files(
      @PathParam("set") String set,
      @PathParam("source") String source,
      @PathParam("archive") String archive) {
    ArchiveRef ref = resolve(set, source, archive);
    Manifest m;
    try {
      m = repository.manifest(ref);
    } catch (ActionException e) {
      // a damaged archive (no or unreadable manifest) is an answer, not a server error
      throw new ApiException(
          409, e.getMessage(), Map.of("archive", ref.name(), "state", "damaged"));
    }
    List<FileView> files =
        m.entries().stream()
            .map(
                e ->
                    new FileView(
                        e.path(),
                        e.type().name().toLowerCase(java.util.Locale.ROOT),
                        e.size(),
                        e.mode(),
                        e.mtime() == null ? 0 : e.mtime().toEpochMilli(),
                        e.sha256(),
                        e.linkTarget()))
            .toList();
    return Map.of("archive", ref.name(), "set", ref.set(), "source", ref.source(), "files", files);
  }

  /**
   * One file out of an archive, read from its own gzip member only and checked against its SHA-256
   * before the first byte is sent: a damaged file is an error, never a download that looks fine.
   * The checked copy waits on disk, not in memory (see {@link FileDownload}).
   */
  @GET
  @dev.lifeboat.api.auth.AdminOnly
  @Path("/{set}/{source}/{archive}/file")
  @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
  public Response file(
      @PathParam("set") String set,
      @PathParam("source") String source,
      @PathParam("archive") String archive,
      @QueryParam("path") String path,
      @Context CloseableService afterwards)
      throws IOException {
    if (path == null || path.isBlank()) {
      throw ApiException.badRequest(
          "say which file with ?path=, e.g. ?path=notebooks/training.ipynb");
    }
    ArchiveRef ref = resolve(set, source, archive);
    FileDownload download;
    try {
      download = FileDownload.of(out -> repository.readFile(ref, path, out));
    } catch (ActionException e) {
      throw e.type().equals(ActionFailureTypes.INVALID_ARGUMENT)
          ? ApiException.notFound(e.getMessage())
          : new ApiException(409, e.getMessage(), Map.of("archive", ref.name()));
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw new ApiException(
            507,
            "no room for a checked copy of '"
                + path
                + "' in the server's temporary folder (java.io.tmpdir): free space there or"
                + " restore the file instead",
            Map.of("archive", ref.name()));
      }
      throw e;
    }
    // closed when the request ends, written or not (the stream closes it first when it is)
    afterwards.add(download);
    String name = path.substring(path.lastIndexOf('/') + 1);
    return Response.ok(download, MediaType.APPLICATION_OCTET_STREAM_TYPE)
        .header(HttpHeaders.CONTENT_LENGTH, download.size())
        .header("Content-Disposition", attachment(name))
        .header("X-Lifeboat-Archive", ref.name())
        .build();
  }

  /**
   * A folder of an archive as a {@code .tar.gz} stream, its entries named from the folder itself
   * ({@code ?path=notebooks} extracts to {@code notebooks/...}; an empty path gives the whole
   * archive). Each file is read through the same checked path as a single download; a file that
   * fails its check breaks the stream off, so the client's tar reports an error instead of
   * extracting a damaged file.
   */
  @GET
  @dev.lifeboat.api.auth.AdminOnly
  @Path("/{set}/{source}/{archive}/folder")
  @Produces({"application/gzip", MediaType.APPLICATION_JSON})
  public Response folder(
      @PathParam("set") String set,
      @PathParam("source") String source,
      @PathParam("archive") String archive,
      @QueryParam("path") String path) {
    ArchiveRef ref = resolve(set, source, archive);
    Manifest m;
    try {
      m = repository.restorableManifest(ref);
    } catch (ActionException e) {
      throw new ApiException(
          409,
          e.getMessage(),
          Map.of(
              "archive",
              ref.name(),
              "state",
              e instanceof dev.lifeboat.activities.archive.DamagedArchive ? "damaged" : "refused"));
    }
    FolderTar folder = FolderTar.of(m, path == null ? "" : path);
    if (folder.isEmpty()) {
      throw ApiException.notFound("archive " + ref.name() + " has no folder '" + path + "'");
    }
    // checked before the answer starts: a failure in the stream can only break it off
    dev.lifeboat.activities.archive.ArchiveState state = repository.state(ref);
    if (state.isDamaged()) {
      throw new ApiException(
          409,
          "archive " + ref.name() + " is damaged: " + state.error(),
          Map.of("archive", ref.name(), "state", "damaged"));
    }
    Map<Manifest.Entry, dev.lifeboat.activities.archive.Owner> owners;
    try {
      owners = repository.checkEntries(ref, m, folder::reads);
    } catch (ActionException e) {
      throw new ApiException(
          409, e.getMessage(), Map.of("archive", ref.name(), "state", "damaged"));
    } catch (java.io.IOException e) {
      throw new ApiException(
          500,
          "archive " + ref.name() + " could not be read: " + e.getMessage(),
          Map.of("archive", ref.name()));
    }
    String name =
        ref.source()
            + "-"
            + ref.stem()
            + (folder.top().isEmpty() ? "" : "-" + folder.top().replace('/', '-'))
            + ".tar.gz";
    jakarta.ws.rs.core.StreamingOutput body =
        out -> folder.write(out, owners, (entry, to) -> repository.readFile(ref, entry, to));
    return Response.ok(body, "application/gzip")
        .header("Content-Disposition", attachment(name))
        .header("X-Lifeboat-Archive", ref.name())
        .build();
  }

  /** A download's file name as RFC 5987 spells it: any characters, percent-encoded in UTF-8. */
  private static String attachment(String name) {
    return "attachment; filename*=UTF-8''"
        + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8)
            .replace("+", "%20");
  }

  /** A pin this server cannot write: a conflict with how it is deployed, not a server fault. */
  private static ApiException readOnly(ArchiveRef ref, ReadOnlyRepository e) {
    return new ApiException(
        409, e.getMessage(), Map.of("archive", ref.name(), "repository", "read-only"));
  }

  private ArchiveRef resolve(String set, String source, String archive) {
    check("set", set);
    check("source", source);
    if (!"latest".equals(archive)) {
      check("archive", archive);
    }
    try {
      return repository.resolve(set, source, archive);
    } catch (ActionException e) {
      throw ApiException.notFound(e.getMessage());
    }
  }

  private static void check(String what, String value) {
    if (value == null || value.isBlank()) {
      return;
    }
    try {
      Repository.checkName(value, what);
    } catch (ActionException e) {
      throw ApiException.badRequest("'" + what + "': " + e.getMessage());
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
