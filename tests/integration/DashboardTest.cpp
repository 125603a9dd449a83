// The dashboard in a real browser: headless Chromium (Debian's) loads the page from a
// daemon that watches 96 connection points served by the point simulator, and the test
// reads the rendered page over the DevTools protocol, as an operator would see it:
//   - 96 tiles, their states and the counts by state agree with /api/points;
//   - a point that fails turns red in the page within 1 s of the daemon knowing it;
//   - the "not up" filter, the point's details (contact, phone, history), its alert at the top
//     of the alerts list, names from the config shown as text (never as HTML);
//   - operator buttons only with the operator token, and they work (+5 phút);
//   - the programme's sound meter («Âm thanh chương trình») shows the hall's tone as the
//     daemon measures it and keeps being written by the "sound" topic; a live input whose
//     picture is black and still shows «Đứng hình» and «Hình đen» and its own level bar.
// A screenshot of the page is kept as the test's artifact (its path is printed).

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "HealthPeers.h"
#include "support/HeadlessChromium.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

struct PointRow {
  std::string id, name, kind;
};

// The 96 units of config/quang-ngai-points.csv (id, name and kind are its first three,
// never quoted, columns): real Vietnamese names in the tiles.
std::vector<PointRow> quangNgaiPoints() {
  std::ifstream in(std::string(CEREMONYD_SOURCE_DIR) + "/config/quang-ngai-points.csv");
  std::vector<PointRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    PointRow r;
    std::getline(cells, r.id, ',');
    std::getline(cells, r.name, ',');
    std::getline(cells, r.kind, ',');
    if (!r.id.empty() && !r.name.empty()) rows.push_back(r);
  }
  return rows;
}

std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A JavaScript string literal (JSON is one).
std::string js(const std::string& s) {
  return json(s).dump();
}

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Takes a screenshot of what the browser shows if the test failed, before it is closed.
struct ScreenshotOnFailure {
  DevToolsPage& page;
  std::filesystem::path file;
  ~ScreenshotOnFailure() {
    if (!::testing::Test::HasFailure()) return;
    try {
      page.screenshot(file);
      std::cerr << "[ failure  ] screenshot " << file.string() << "\n";
    } catch (const std::exception& e) {
      std::cerr << "[ failure  ] no screenshot: " << e.what() << "\n";
    }
  }
};

TEST(DashboardTest, ChromiumShowsNinetySixPointsAndAFailingPointTurnsRedWithinOneSecond) {
  TempDir dir("dashboard");

  // --- 96 points on 127.0.0.x, all healthy ----------------------------------------------
  const auto rows = quangNgaiPoints();
  ASSERT_EQ(rows.size(), 96u) << "config/quang-ngai-points.csv";
  const int pointPort = freePorts(1)[0];
  const auto at = [&](int i) { return pointAddress(i) + ":" + std::to_string(pointPort); };
  // Names come from configuration files: one carries HTML, which must stay text.
  const int markupIndex = 4;
  const std::string markupName = "Phường <b>Thử</b> & \"kiểm\" <img src=x onerror=alert(1)>";
  std::string spec;
  std::string points;
  for (int i = 0; i < 96; ++i) {
    spec += "endpoint " + rows[i].id + " " + at(i) + " healthy\n";
    points += "\n[[points]]\nid = " + tomlString(rows[i].id) +
              "\nname = " + tomlString(i == markupIndex ? markupName : rows[i].name) +
              "\nkind = " + tomlString(rows[i].kind) +
              "\ncontact_name = " + tomlString("Cán bộ kỹ thuật, UBND " + rows[i].name) +
              "\ncontact_phone = " + tomlString("0900 000 " + std::to_string(100 + i)) +
              "\nprobes = [ { kind = \"http\", url = \"http://" + at(i) +
              "/health\", connect_timeout = \"300ms\", timeout = \"400ms\" } ]\n";
  }
  PointSimulator sim(dir.path(), spec, 96);

  // --- the daemon: a short run-of-show with a manual launch cue, fast probing -----------
  writeText(dir / "ceremony.toml", R"([event]
title = "Lễ phát động phong trào “Bình dân học vụ số” — kiểm thử bảng điều khiển"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[programme]
width = 640
height = 360
fps = 25
video_bitrate_kbps = 800

[sources.hall]
kind = "test"
pattern = "smpte"
tone_hz = 440
label = "Camera hội trường"

# A live input that sends a black picture that never moves, with a tone: frozen and black.
[sources.cam2]
kind = "launch"
video = "videotestsrc pattern=black is-live=true"
audio = "audiotestsrc is-live=true freq=880 volume=0.3"
label = "Camera 2 thử nghiệm"

[watch]
freeze_after = "1s"
black_after = "1s"

[scenes.welcome]
kind = "slate"
text = "Kết nối các điểm cầu"
label = "Màn hình chờ"

[scenes.hall]
kind = "source"
source = "hall"
label = "Toàn cảnh hội trường"

[[timeline]]
id = "khai-mac"
title = "Khai mạc, giới thiệu đại biểu"
start = "09:00"
duration = "20m"
scene = "hall"
lower_third = { name = "Nguyễn Thị Hoa", role = "Người dẫn chương trình" }

[[timeline]]
id = "bam-nut"
title = "Bấm nút phát động"
cue = "manual"
duration = "5m"
scene = "hall"

[[timeline]]
id = "tap-huan"
title = "Tập huấn: ứng dụng AI trong công việc"
duration = "30m"
scene = "welcome"

[health]
interval = "500ms"
jitter = "100ms"
alert_hold = "0s"
)" + points);
  const std::string operatorToken = "dash-op-" + std::to_string(wallMs() % 1000003);
  writeText(dir / "operator.token", operatorToken + "\n");
  const int apiPort = freePorts(1)[0];
  Process daemon({CEREMONYD_BINARY, "--config", (dir / "ceremony.toml").string(), "--rehearsal",
                  "--listen", "127.0.0.1:" + std::to_string(apiPort), "--operator-token-file",
                  (dir / "operator.token").string(), "--state-dir", (dir / "state").string()},
                 ProcessOptions{dir / "ceremonyd.log"});
  const auto api = [&](const std::string& target) {
    const auto a = httpRequest(apiPort, "GET", target);
    if (a.status != 200)
      throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(a.status));
    return json::parse(a.body);
  };

  // All 96 up (3 good probes at 500 ms) before the browser looks.
  json apiPoints;
  const auto upDeadline = Steady::now() + 20s;
  for (;;) {
    ASSERT_TRUE(daemon.running()) << tailOf(daemon.log());
    if (acceptsConnections(apiPort)) {
      apiPoints = api("/api/points");
      if (apiPoints["counts"].value("up", 0) == 96) break;
    }
    ASSERT_LT(Steady::now(), upDeadline)
        << "not all 96 points up: " << apiPoints["counts"].dump() << "\n"
        << tailOf(daemon.log());
    std::this_thread::sleep_for(100ms);
  }

  // --- the browser ----------------------------------------------------------------------
  // Its profile is large and says nothing: removed even when the rest is kept.
  struct RemovedAtEnd {
    std::filesystem::path path;
    ~RemovedAtEnd() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } profile{dir / "chromium-profile"};
  std::filesystem::create_directories(profile.path);
  HeadlessChromium chromium(profile.path, dir.path());
  auto page = chromium.page();
  ScreenshotOnFailure onFailure{*page, dir / "dashboard-failure.png"};
  const std::string url = "http://127.0.0.1:" + std::to_string(apiPort) + "/";
  page->navigate(url);
  ASSERT_TRUE(
      page->waitFor("document.querySelectorAll('#tiles .tile').length === 96 && "
                    "document.querySelector('[data-count=up]').textContent === '96'",
                    10s))
      << "tiles: " << page->evaluate("document.querySelectorAll('#tiles .tile').length");

  // Tiles and counts as rendered against the API's word.
  apiPoints = api("/api/points");
  const json shown = page->evaluate(R"(({
      tiles: [...document.querySelectorAll('#tiles .tile')].map(t => ({
        id: t.dataset.point, cls: t.className, name: t.querySelector('.name').textContent,
        visible: t.offsetParent !== null })),
      counts: Object.fromEntries([...document.querySelectorAll('[data-count]')]
        .map(c => [c.dataset.count, Number(c.textContent)])),
      markup: document.querySelectorAll('#tiles b, #tiles img').length,
      title: document.getElementById('event-title').textContent,
      live: document.getElementById('live').textContent,
      clock: document.getElementById('clock').textContent,
      items: document.querySelectorAll('#items tr[data-item]').length,
      banner: document.getElementById('uplink-banner').hidden }))");
  ASSERT_EQ(shown["tiles"].size(), 96u);
  std::map<std::string, std::string> stateOf;
  for (const auto& p : apiPoints["points"]) stateOf[p["id"]] = p["state"];
  std::set<std::string> ids;
  for (const auto& t : shown["tiles"]) {
    const std::string id = t["id"];
    ids.insert(id);
    ASSERT_TRUE(stateOf.count(id)) << "tile of an unknown point " << id;
    EXPECT_EQ(t["cls"], "tile state-" + stateOf[id]) << id;
    EXPECT_TRUE(t["visible"].get<bool>()) << id;
  }
  EXPECT_EQ(ids.size(), 96u);
  for (const char* c : {"up", "degraded", "down", "maintenance", "unknown", "total"})
    EXPECT_EQ(shown["counts"][c], apiPoints["counts"][c]) << c;
  EXPECT_EQ(shown["tiles"][markupIndex]["name"], markupName) << "a name is shown as text";
  EXPECT_EQ(shown["markup"], 0) << "a name from the config became HTML";
  EXPECT_EQ(shown["title"],
            "Lễ phát động phong trào “Bình dân học vụ số” — kiểm thử bảng điều khiển");
  EXPECT_EQ(shown["live"], "CHƯA PHÁT");  // no RTMP destination
  EXPECT_EQ(shown["items"], 3);
  EXPECT_TRUE(shown["banner"].get<bool>()) << "uplink banner without an uplink alarm";
  EXPECT_NE(shown["clock"], "--:--:--");

  // --- the programme's sound -----------------------------------------------------------
  // The hall's 440 Hz tone is on air: the meter shows the loudness the daemon measures, in
  // the target band (-16 ± 4 LUFS), and says so in words.
  const std::string soundShown = R"(({
      momentary: document.getElementById('sound-momentary').textContent,
      shortTerm: document.getElementById('sound-short').textContent,
      peak: document.getElementById('sound-peak').textContent,
      state: document.getElementById('sound-state').textContent,
      bar: (b => 100 * b.getBoundingClientRect().width /
        b.parentNode.getBoundingClientRect().width)(document.getElementById('meter-momentary')),
      barClass: document.getElementById('meter-momentary').className }))";
  const std::string momentaryShown =
      R"(/^-?\d+\.\d$/.test(document.getElementById('sound-momentary').textContent))";
  // (The 400 ms window fills with the tone once the first item is on air.)
  ASSERT_TRUE(page->waitFor(momentaryShown +
                                " && document.getElementById('sound-state')"
                                ".textContent === 'Bình thường' && "
                                "document.getElementById('meter-momentary').className === "
                                "'meter-bar in'",
                            5s))
      << page->evaluate(soundShown).dump()
      << "\n/api/status sound: " << api("/api/status")["sound"];
  const json sound = page->evaluate(soundShown);
  const json apiSound = api("/api/status")["sound"];
  ASSERT_TRUE(apiSound.is_object() && apiSound["momentary_lufs"].is_number()) << apiSound;
  std::cout << "[ measured ] the meter shows " << sound["momentary"].get<std::string>()
            << " LUFS momentary, /api/status says " << apiSound["momentary_lufs"] << "\n";
  EXPECT_NEAR(std::stod(sound["momentary"].get<std::string>()),
              apiSound["momentary_lufs"].get<double>(), 1.0);
  EXPECT_NE(sound["shortTerm"], "—");
  EXPECT_NE(sound["peak"], "—");
  EXPECT_GT(sound["bar"].get<double>(), 30.0) << sound;
  EXPECT_EQ(sound["barClass"], "meter-bar in") << "a tone at the target is not in the band";
  // The meter keeps moving: a number wiped from the page is written again by the next
  // "sound" message (every 250 ms, or at least each second when the reading is unchanged
  // but for measured_s; the status does not touch the meter once the topic speaks).
  page->evaluate("document.getElementById('sound-momentary').textContent = ''; true");
  const auto wiped = Steady::now();
  ASSERT_TRUE(page->waitFor(momentaryShown, 2s)) << "the sound meter stopped updating";
  std::cout << "[ measured ] meter written again after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - wiped).count()
            << " ms\n";

  // --- the programme's picture ---------------------------------------------------------------
  // A new picture about once a second while the panel can be seen; none asked for while it
  // is scrolled out of sight; a new one at once when it is back in view.
  const std::string previewShown = R"((() => { const i = document.getElementById('preview');
      return !i.hidden && i.offsetParent !== null && i.complete && i.naturalWidth > 0
        ? i.src : ''; })())";
  ASSERT_TRUE(page->waitFor(previewShown + " !== ''", 6s)) << "no programme picture shown";
  const std::string firstPicture = page->evaluate(previewShown);
  ASSERT_TRUE(page->waitFor(previewShown + " !== " + js(firstPicture), 3s))
      << "the programme picture is not refreshed";
  page->evaluate(R"(window.__previewAsked = 0; window.__fetch = window.__fetch || window.fetch;
      window.fetch = (u, o) => { if (String(u).includes('/api/preview.jpg')) ++window.__previewAsked;
        return window.__fetch(u, o); }; true)");
  page->setViewport(1600, 240);
  page->evaluate("window.scrollTo(0, document.documentElement.scrollHeight); true");
  ASSERT_TRUE(
      page->waitFor("document.getElementById('preview').getBoundingClientRect().bottom < 0", 2s));
  std::this_thread::sleep_for(500ms);  // a request under way when it left the view
  page->evaluate("window.__previewAsked = 0; true");
  std::this_thread::sleep_for(2s);  // two pictures' time
  EXPECT_EQ(page->evaluate("window.__previewAsked"), 0)
      << "the picture is fetched while it cannot be seen";
  const std::string hiddenPicture = page->evaluate("document.getElementById('preview').src");
  page->setViewport(1600, 1000);
  page->evaluate("window.scrollTo(0, 0); true");
  const auto back = Steady::now();
  ASSERT_TRUE(page->waitFor(
      previewShown + " !== " + js(hiddenPicture) + " && " + previewShown + " !== ''", 2s))
      << "the picture is not refreshed when it comes back in view";
  std::cout << "[ measured ] a new programme picture "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - back).count()
            << " ms after the panel came back in view\n";
  page->evaluate("window.fetch = window.__fetch; true");

  // --- a live input's picture and sound -----------------------------------------------------
  const std::string cam2 = "document.querySelector('#inputs li[data-input=cam2]')";
  const std::string cam2Shown = "(() => { const li = " + cam2 + R"(; if (!li) return null;
      const badge = (c) => { const b = li.querySelector(c); return !b.hidden && b.offsetParent !== null; };
      return { text: li.innerText, frozen: badge('.input-frozen'), black: badge('.input-black'),
        db: li.querySelector('.level-db').textContent, cls: li.className,
        rms: (b => 100 * b.getBoundingClientRect().width /
          b.parentNode.getBoundingClientRect().width)(li.querySelector('.level-rms')) }; })())";
  ASSERT_TRUE(page->waitFor(
      "(() => { const c = " + cam2Shown + "; return !!c && c.frozen && c.black; })()", 8s))
      << page->evaluate(cam2Shown).dump()
      << "\n/api/status inputs: " << api("/api/status")["inputs"];
  const json cam = page->evaluate(cam2Shown);
  const std::string camText = cam["text"];
  EXPECT_NE(camText.find("Camera 2 thử nghiệm"), std::string::npos) << camText;
  EXPECT_NE(camText.find("Đứng hình"), std::string::npos) << camText;
  EXPECT_NE(camText.find("Hình đen"), std::string::npos) << camText;
  EXPECT_EQ(cam["cls"], "output input out-failed") << "a frozen input is not shown as lost";
  json apiCam;
  const json inputs = api("/api/status")["inputs"];
  for (const auto& in : inputs)
    if (in["id"] == "cam2") apiCam = in;
  EXPECT_EQ(apiCam["state"], "frozen") << apiCam;
  EXPECT_EQ(apiCam["black"], true) << apiCam;
  // Its tone on its own level bar (dBFS), fed by the "sound" topic's inputs.
  ASSERT_TRUE(page->waitFor(cam2 + ".querySelector('.level-db').textContent !== '— dB'", 3s))
      << page->evaluate(cam2Shown).dump();
  EXPECT_GT(page->evaluate(cam2Shown)["rms"].get<double>(), 10.0) << page->evaluate(cam2Shown);
  // The frozen picture is an alarm in the events list.
  EXPECT_TRUE(
      page->waitFor("[...document.querySelectorAll('#alerts li.sev-alarm[data-kind=input]')]"
                    ".some(l => l.textContent.includes('Camera 2 thử nghiệm: hình đứng yên'))",
                    3s))
      << page->evaluate("document.getElementById('alerts').innerText.slice(0, 600)");

  // --- without a token: no operator buttons -----------------------------------------------
  const std::string controlsVisible =
      "(() => { const b = document.querySelector('#operator-controls [data-action=next]');"
      " return !!b && b.offsetParent !== null; })()";
  ASSERT_TRUE(page->waitFor("document.getElementById('role').textContent !== ''", 5s));
  EXPECT_EQ(page->evaluate(controlsVisible), false) << "operator buttons shown without a token";
  EXPECT_EQ(page->evaluate("document.querySelectorAll('button[data-action]')"
                           ".length === [...document.querySelectorAll('button[data-action]')]"
                           ".filter(b => b.offsetParent === null).length"),
            true)
      << "some action button is visible without a token: "
      << page->evaluate(
             "[...document.querySelectorAll('button[data-action]')]"
             ".filter(b => b.offsetParent !== null).map(b => b.outerHTML).join(' ')");

  // --- point 37 fails: the daemon knows, then the page shows it ----------------------------
  const PointRow& victim = rows[36];
  // The page notes the moment the tile turns red (a MutationObserver: no polling delay).
  page->evaluate(
      "window.__downAt = 0; new MutationObserver(() => {"
      " const t = document.querySelector('.tile[data-point=' + " +
      js("\"" + victim.id + "\"") +
      " + ']');"
      " if (t && t.classList.contains('state-down') && !window.__downAt)"
      " window.__downAt = Date.now(); })"
      ".observe(document.getElementById('tiles'),"
      " {subtree: true, attributes: true, attributeFilter: ['class']}); true");
  ASSERT_EQ(sim.command("set " + victim.id + " refusing"), "ok");
  const auto failedAt = wallMs();
  std::int64_t apiDownAt = 0;
  const auto downDeadline = Steady::now() + 10s;
  while (Steady::now() < downDeadline) {
    const auto p = api("/api/points/" + victim.id);
    if (p["state"] == "down") {
      apiDownAt = wallMs();
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_NE(apiDownAt, 0) << victim.id << " never went down in /api/points";
  ASSERT_TRUE(page->waitFor("window.__downAt > 0", 5s)) << "the tile never turned red";
  const auto pageDownAt = page->evaluate("window.__downAt").get<std::int64_t>();
  const auto latency = pageDownAt - apiDownAt;
  std::cout << "[ measured ] " << victim.id << " (" << victim.name << "): down in /api/points "
            << (apiDownAt - failedAt) << " ms after the failure; tile red " << latency
            << " ms after the API said so\n";
  EXPECT_LE(latency, 1000) << "tile changed too late";

  // Counts follow; they match the API once both settle.
  ASSERT_TRUE(
      page->waitFor("document.querySelector('[data-count=down]').textContent === '1' && "
                    "document.querySelector('[data-count=up]').textContent === '95'",
                    3s));
  apiPoints = api("/api/points");
  const json counts = page->evaluate(
      "Object.fromEntries([...document.querySelectorAll('[data-count]')]"
      ".map(c => [c.dataset.count, Number(c.textContent)]))");
  for (const char* c : {"up", "degraded", "down", "maintenance", "unknown", "total"})
    EXPECT_EQ(counts[c], apiPoints["counts"][c]) << c;
  EXPECT_EQ(page->evaluate("document.querySelectorAll('.tile.state-down').length"), 1);

  // The "not up" filter leaves the red tile alone.
  page->evaluate("document.getElementById('filter-not-up').click(); true");
  EXPECT_EQ(page->evaluate("[...document.querySelectorAll('#tiles .tile')]"
                           ".filter(t => t.offsetParent !== null).map(t => t.dataset.point)"),
            json::array({victim.id}));
  page->evaluate("document.getElementById('filter-not-up').click(); true");
  EXPECT_EQ(page->evaluate("[...document.querySelectorAll('#tiles .tile')]"
                           ".filter(t => t.offsetParent !== null).length"),
            96);

  // A click on the tile: contact, phone and the change in its history.
  page->evaluate("document.querySelector('.tile[data-point=' + " + js("\"" + victim.id + "\"") +
                 " + ']').click(); true");
  ASSERT_TRUE(
      page->waitFor("!document.getElementById('detail').hidden && "
                    "document.querySelector('#detail .history li.to-down') !== null",
                    5s));
  const std::string detail =
      page->evaluate("document.getElementById('detail').innerText").get<std::string>();
  EXPECT_NE(detail.find("Cán bộ kỹ thuật, UBND " + victim.name), std::string::npos) << detail;
  EXPECT_NE(detail.find("0900 000 136"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Mất kết nối"), std::string::npos) << detail;
  EXPECT_EQ(page->evaluate("document.querySelector('#detail a[href^=\"tel:\"]')"
                           ".getAttribute('href')"),
            "tel:0900000136");
  page->screenshot(dir / "dashboard-point.png");
  page->evaluate("document.getElementById('detail-close').click(); true");

  // The results report, as the page fetches it with its own token: a draft with the failure.
  page->evaluate("document.querySelector('button[data-report=\"outages.csv\"]').click(); true");
  ASSERT_TRUE(page->waitFor(
      "document.getElementById('report-result').textContent.startsWith('Đã tải report-')", 10s))
      << page->evaluate("document.getElementById('report-result').textContent");
  const std::string outages = httpRequest(apiPort, "GET", "/api/report?format=outages.csv").body;
  EXPECT_NE(outages.find(victim.name), std::string::npos) << outages.substr(0, 600);

  // The alert is in the list, at the top (newest first).
  const std::string alertShown =
      "(() => { const l = document.querySelector('#alerts li.sev-alarm[data-kind=point]');"
      " return !!l && l.textContent.includes(" +
      js(victim.name + ": Hoạt động → Mất kết nối") + "); })()";
  EXPECT_TRUE(page->waitFor(alertShown, 3s))
      << "no alert for " << victim.id << " in the list (the events topic is events(50): are the "
      << "newest point events in it?) alerts shown: "
      << page->evaluate("document.getElementById('alerts').innerText.slice(0, 400)");

  // --- with the operator token: the buttons appear and act ---------------------------------
  // Every EventSource the page opens from here on is noted, with the messages it gets.
  page->evaluate(R"(
    window.seenStreams = [];
    const Real = window.EventSource;
    window.EventSource = function (url) {
      const es = new Real(url);
      const seen = { url: String(url), messages: 0 };
      window.seenStreams.push(seen);
      for (const t of ['status', 'timeline', 'points', 'events'])
        es.addEventListener(t, () => ++seen.messages);
      return es;
    };
    Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
    true)");
  page->evaluate("document.getElementById('token').value = " + js(operatorToken) +
                 "; document.getElementById('token-form').requestSubmit(); true");
  ASSERT_TRUE(page->waitFor(controlsVisible, 5s)) << "operator buttons hidden with the token";
  EXPECT_EQ(page->evaluate("document.getElementById('role').textContent"), "Điều hành");
  EXPECT_EQ(page->evaluate("[...document.querySelectorAll('#cues button')]"
                           ".map(b => b.dataset.name)"),
            json::array({"bam-nut"}));
  EXPECT_EQ(page->evaluate("document.querySelectorAll('#scenes button').length"), 2);
  // The token stays in this tab only (sessionStorage, not localStorage), never in the
  // page's text, and never in the stream's URL: the page trades it for a one-use ticket.
  EXPECT_EQ(page->evaluate("sessionStorage.getItem('ceremonyd.token') === " + js(operatorToken)),
            true);
  EXPECT_EQ(page->evaluate("localStorage.getItem('ceremonyd.token')"), nullptr);
  ASSERT_TRUE(page->waitFor("window.seenStreams.some(s => s.messages > 0)", 5s))
      << "no stream with messages after the token: " << page->evaluate("window.seenStreams");
  const json streams = page->evaluate("window.seenStreams");
  for (const auto& seen : streams) {
    const std::string url = seen.at("url");
    EXPECT_EQ(url.rfind("/api/stream?ticket=", 0), 0u) << url;
    EXPECT_EQ(url.find(operatorToken), std::string::npos) << "the token in the stream's URL";
  }
  EXPECT_EQ(page->evaluate("document.body.innerText.includes(" + js(operatorToken) + ")"), false);

  // "+5 phút" moves the end of the current item by five minutes.
  const auto remaining = [&] {
    return std::make_pair(api("/api/status")["remaining_ms"].get<std::int64_t>(), wallMs());
  };
  const auto before = remaining();
  page->evaluate(
      "document.querySelector('[data-action=extend][data-seconds=\"300\"]').click();"
      " true");
  ASSERT_TRUE(page->waitFor("document.getElementById('op-result').classList.contains('ok')", 5s))
      << page->evaluate("document.getElementById('op-result').textContent");
  const auto after = remaining();
  EXPECT_NEAR((after.first + (after.second - before.second) - before.first) / 1000.0, 300.0, 2.0);

  // --- the artifact ----------------------------------------------------------------------
  const auto shot = dir / "dashboard.png";
  page->screenshot(shot);
  ASSERT_GT(std::filesystem::file_size(shot), 10000u);
  dir.keep();  // the screenshot is the artifact: keep the directory (logs and config too)
  std::cout << "[ artifact ] " << shot.string() << "\n";
  EXPECT_TRUE(daemon.running()) << tailOf(daemon.log());
}

}  // namespace
}  // namespace ceremony::testing
