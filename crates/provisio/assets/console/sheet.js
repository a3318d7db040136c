// The enrollment sheet of a profile: one printed page (A4 or Letter) that a staging desk hands
// out with the devices. It names the profile, its mode, the token's expiry and the Wi-Fi network,
// shows the QR code large and lists the steps on the device. The Wi-Fi password is never
// printed as text: the code carries it.

import { call, mode, profilePath } from "./api.js";
import { date, el, formatDate, replace } from "./dom.js";

export async function sheetView(main, id) {
  const p = await call("GET", profilePath(id));
  const expires = date(p.tokenExpirationDateTime);
  const back = el("a", { href: `#/p/${encodeURIComponent(p.id)}` }, "Back to the profile");
  if (!p.tokenValue || !p.qrCodeImage) {
    replace(main, el("h1", {}, `Enrollment sheet: ${p.displayName}`),
      el("p", { class: "error", role: "alert" }, "This profile has no token, so there is no QR code to print. Create a token first."),
      el("p", {}, back));
    return;
  }
  const expired = expires && expires < new Date();
  const wifi = p.configureWifi && p.wifiSsid;
  replace(
    main,
    el("div", { class: "screen-only actions" },
      back,
      el("button", { type: "button", onclick: () => window.print() }, "Print")),
    el("article", { class: "sheet" },
      el("h1", {}, p.displayName),
      el("dl", { class: "sheet-facts" },
        el("dt", {}, "Mode"), el("dd", {}, mode(p.enrollmentMode).label),
        el("dt", {}, "Code valid until"), el("dd", {}, formatDate(expires), expired ? " (expired)" : ""),
        el("dt", {}, "Wi-Fi network"), el("dd", {}, wifi ? p.wifiSsid : "none: connect the device to a network before scanning")),
      expired ? el("p", { class: "warning" }, "This code has expired and will not enroll devices.") : null,
      el("img", {
        class: "sheet-qr",
        src: `data:${p.qrCodeImage.type || "image/png"};base64,${p.qrCodeImage.value}`,
        alt: `QR code to enroll a device with the profile ${p.displayName}`,
      }),
      wifi && p.wifiSecurityType !== "none"
        ? el("p", { class: "note" }, "The Wi-Fi password is not printed: the QR code itself carries it.")
        : null,
      el("h2", {}, "Steps"),
      el("ol", { class: "steps" },
        el("li", {}, "Factory reset the device (or take it out of the box) and switch it on."),
        el("li", {}, "On the welcome screen, tap the same spot six times: the QR code reader opens."),
        el("li", {}, wifi ? "Scan this code. The device joins the Wi-Fi network on its own." : "Connect to a network when asked, then scan this code."),
        el("li", {}, "Follow the screens until the setup is complete.")),
      el("p", { class: "fine" }, `Profile ${p.id}`)),
  );
}
