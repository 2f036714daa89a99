package dev.lifeboat.api.resources;

import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.api.errors.ApiException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The archives in the local repository. */
@Path("/backups")
@Produces(MediaType.APPLICATION_JSON)
public final class BackupsResource {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private final Repository repository;

  public BackupsResource(Repository repository) {
    this.repository = repository;
  }

  /** One archive as the API shows it. */
  public record BackupView(String set, String source, String name, String path, long createdAt, long sizeBytes,
      long files, long bytes, boolean verified, boolean pinned) {}

  @GET
  public Map<String, Object> list(@QueryParam("set") String set, @QueryParam("source") String source)
      throws IOException {
    check("set", set);
    check("source", source);
    List<BackupView> all = repository.list(blankToNull(set), blankToNull(source)).stream()
        .sorted(Comparator.comparing(ArchiveInfo::createdAt).reversed())
        .map(a -> new BackupView(a.set(), a.source(), a.name(), a.path().toString(), a.createdAt().toEpochMilli(),
            a.sizeBytes(), a.files(), a.bytes(), a.verified(), a.pinned()))
        .toList();
    return Map.of("repository", repository.root().toString(), "backups", all);
  }

  private static void check(String what, String value) {
    if (value != null && !value.isBlank() && !NAME.matcher(value).matches()) {
      throw ApiException.badRequest("'" + what + "' must be a plain name (letters, digits, . _ -), got '" + value + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
