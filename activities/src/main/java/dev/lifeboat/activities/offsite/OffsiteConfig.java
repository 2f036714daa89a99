package dev.lifeboat.activities.offsite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the offsite copy lives and how it is encrypted: an rclone backend ({@code type} plus its
 * options, e.g. {@code local}, or {@code s3} with provider, endpoint and keys), the path on it, and
 * the crypt password and salt. Everything written there is encrypted by rclone's crypt (file names
 * and contents), so the remote never sees plaintext. Also names the local repository that is
 * mirrored.
 *
 * @param type rclone backend type: {@code local}, {@code s3}, {@code b2}, ...
 * @param options backend options as rclone config keys ({@code provider}, {@code endpoint}, ...)
 * @param remotePath where on the backend: a directory for {@code local}, {@code bucket/prefix} for
 *     S3
 * @param password the crypt password (plain; obscured for rclone, never logged)
 * @param salt the crypt salt ({@code password2}); optional but recommended
 * @param repository the local repository ({@code <repository>/<set>/<source>/<timestamp>.tar.gz})
 */
public record OffsiteConfig(
    String type,
    Map<String, String> options,
    String remotePath,
    String password,
    String salt,
    Path repository) {

  public OffsiteConfig {
    if (type == null || !type.matches("[a-z0-9]+")) {
      throw new IllegalArgumentException(
          "offsite: backend type must be an rclone backend name such as local or s3");
    }
    if (remotePath == null) {
      throw new IllegalArgumentException("offsite: remote path is required");
    }
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException(
          "offsite: a crypt password is required (the offsite copy is always encrypted)");
    }
    if (repository == null) {
      throw new IllegalArgumentException("offsite: the local repository path is required");
    }
    options = options == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(options));
    for (Map.Entry<String, String> e : options.entrySet()) {
      if (!e.getKey().matches("[a-z0-9_]+")
          || e.getValue() == null
          || e.getValue().contains("\n")) {
        throw new IllegalArgumentException("offsite: bad backend option '" + e.getKey() + "'");
      }
    }
    if (remotePath.contains("\n")) {
      throw new IllegalArgumentException("offsite: bad remote path");
    }
    // configured secrets are masked in every error and log line from now on
    dev.lifeboat.activities.action.Redactor.addAll(secretsOf(password, salt, options));
  }

  /** An offsite copy in a local directory (an external or network drive mounted on the worker). */
  public static OffsiteConfig localDirectory(
      Path directory, String password, String salt, Path repository) {
    return new OffsiteConfig(
        "local", Map.of(), directory.toAbsolutePath().toString(), password, salt, repository);
  }

  /** An offsite copy in an S3-compatible bucket (AWS, Wasabi, B2's S3 API, MinIO...). */
  public static OffsiteConfig s3(
      String provider,
      String endpoint,
      String region,
      String accessKeyId,
      String secretAccessKey,
      String bucketAndPrefix,
      String password,
      String salt,
      Path repository) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("provider", provider);
    if (endpoint != null) {
      options.put("endpoint", endpoint);
    }
    if (region != null) {
      options.put("region", region);
    }
    options.put("access_key_id", accessKeyId);
    options.put("secret_access_key", secretAccessKey);
    return new OffsiteConfig("s3", options, bucketAndPrefix, password, salt, repository);
  }

  /** Values that must never reach a log, an output or an error message. */
  List<String> secrets() {
    return secretsOf(password, salt, options);
  }

  private static List<String> secretsOf(String password, String salt, Map<String, String> options) {
    List<String> out = new ArrayList<>();
    out.add(password);
    if (salt != null && !salt.isEmpty()) {
      out.add(salt);
    }
    options.forEach(
        (k, v) -> {
          String key = k.toLowerCase(Locale.ROOT);
          if ((key.contains("secret")
                  || key.contains("password")
                  || key.contains("token")
                  || key.endsWith("_key")
                  || key.equals("key"))
              && v.length() >= 4) {
            out.add(v);
          }
        });
    return out;
  }

  /**
   * Where the copy is, for people: {@code local:/mnt/offsite/lifeboat}, {@code s3:bucket/prefix}.
   */
  public String describe() {
    return type + ":" + remotePath;
  }

  @Override
  public String toString() {
    return "OffsiteConfig[" + describe() + ", repository=" + repository + ", password=***]";
  }
}
