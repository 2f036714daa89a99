package dev.lifeboat.api;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Debian's headless Chromium for page tests, and a second web site to attack Lifeboat from. */
final class Chromium {
  private Chromium() {}

  static WebDriver open() {
    try {
      ChromeOptions options = new ChromeOptions();
      options.setBinary("/usr/bin/chromium");
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
          "--window-size=1400,900",
          "--user-data-dir=" + Files.createTempDirectory("lifeboat-chromium"));
      ChromeDriverService service =
          new ChromeDriverService.Builder()
              .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
              .usingAnyFreePort()
              .build();
      return new ChromeDriver(service, options);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A page on another port of 127.0.0.1 (same site, other origin) that tries every way a web page
   * has to start a run of {@code runbook} on Lifeboat: fetch in no-cors and cors mode with
   * text/plain, form and JSON bodies, and a form posted into an iframe. The page's title becomes
   * "done" once every answer arrived.
   */
  static HttpServer attackerSite(int lifeboatPort, String runbook) throws IOException {
    String target = "http://127.0.0.1:" + lifeboatPort + "/api/runbooks/" + runbook + "/runs";
    String html =
        """
        <!doctype html><html><head><title>attacker</title></head><body>
        <iframe name="sink" id="sink"></iframe>
        <form id="f" method="POST" target="sink" enctype="text/plain" action="TARGET">
          <input name='{"params": {"who": "form", "x": "' value='"}}'>
        </form>
        <script>
        const target = 'TARGET';
        const body = JSON.stringify({params: {who: 'evil'}});
        const results = [];
        async function attempt(name, opts) {
          try { const r = await fetch(target, Object.assign({method: 'POST', credentials: 'include', body}, opts));
                results.push(name + ':' + r.type + ':' + r.status); }
          catch (e) { results.push(name + ':refused'); }
        }
        (async () => {
          await attempt('text-nocors', {mode: 'no-cors', headers: {'Content-Type': 'text/plain'}});
          await attempt('form-nocors', {mode: 'no-cors', headers: {'Content-Type': 'application/x-www-form-urlencoded'}});
          await attempt('json-nocors', {mode: 'no-cors', headers: {'Content-Type': 'application/json'}});
          await attempt('json-cors', {mode: 'cors', headers: {'Content-Type': 'application/json'}});
          await attempt('text-cors', {mode: 'cors', headers: {'Content-Type': 'text/plain'}});
          await new Promise(done => {
            document.getElementById('sink').onload = done;
            document.getElementById('f').submit();
          });
          results.push('form:posted');
          document.body.dataset.results = results.join(',');
          document.title = 'done';
        })();
        </script></body></html>
        """
            .replace("TARGET", target);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    server.start();
    return server;
  }
}
