package dev.lifeboat.api.auth;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The {@code auth} section of the configuration: a single token ({@code $LIFEBOAT_API_TOKEN}, named
 * {@value Tokens#OWNER}), a file of named tokens ({@code $LIFEBOAT_TOKENS_FILE}) and the public URL
 * browsers use ({@code $LIFEBOAT_PUBLIC_URL}) for the Origin check behind a proxy.
 */
public class AuthSettings {
  private String token = "";
  private String tokensFile = "";
  private String publicUrl = "";

  @JsonProperty
  public String getToken() {
    return token;
  }

  @JsonProperty
  public void setToken(String token) {
    this.token = token == null ? "" : token.strip();
  }

  @JsonProperty
  public String getTokensFile() {
    return tokensFile;
  }

  @JsonProperty
  public void setTokensFile(String tokensFile) {
    this.tokensFile = tokensFile == null ? "" : tokensFile.strip();
  }

  @JsonProperty
  public String getPublicUrl() {
    return publicUrl;
  }

  @JsonProperty
  public void setPublicUrl(String publicUrl) {
    this.publicUrl = publicUrl == null ? "" : publicUrl.strip();
  }

  // the token is a secret: keep it out of any dump of the configuration
  @Override
  public String toString() {
    return "AuthSettings[token="
        + (token.isEmpty() ? "" : "***")
        + ", tokensFile="
        + tokensFile
        + ", publicUrl="
        + publicUrl
        + "]";
  }
}
