// One profile: the form (create and edit), the detail page with its token and QR code, its
// devices and its audit events.

import {
  AUDIT, call, DEVICES, dpcExtras, literal, MODES, mode, PROFILES, profilePath, query,
} from "./api.js";
import { announce, append, confirmAction, date, el, errorBox, errorText, replace, timeEl } from "./dom.js";

/** The settable members, as form fields: `kind` is text, textarea, select, checkbox or password. */
const FIELDS = [
  { name: "displayName", label: "Name", kind: "text", required: true },
  { name: "description", label: "Description", kind: "textarea" },
  { name: "enrollmentMode", label: "Enrollment mode", kind: "select", options: MODES.map((m) => [m.value, m.label]) },
  {
    name: "enrollmentTokenType", label: "Token type", kind: "select",
    options: [
      ["default", "Default"],
      ["corporateOwnedDedicatedDeviceWithAzureADSharedMode", "Dedicated with Entra ID shared mode"],
      ["deviceStaging", "Device staging"],
    ],
  },
  { name: "configureWifi", label: "Put a Wi-Fi network in the QR code", kind: "checkbox" },
  { name: "wifiSsid", label: "Wi-Fi network name (SSID)", kind: "text" },
  { name: "wifiSecurityType", label: "Wi-Fi security", kind: "select", options: [["none", "None (open)"], ["wpa", "WPA/WPA2"], ["wep", "WEP"]] },
  { name: "wifiPassword", label: "Wi-Fi password", kind: "password" },
  { name: "wifiHidden", label: "The network is hidden", kind: "checkbox" },
  { name: "deviceNameTemplate", label: "Device name template", kind: "text", hint: "e.g. Kiosk-{{SERIAL}}; tokens: {{SERIAL}}, {{SERIALLAST4DIGITS}}, {{ENROLLMENTDATETIME}}, {{DEVICETYPE}}, {{UPNPREFIX}}, {{USERNAME}}, {{rand:N}}" },
  { name: "isTeamsDeviceProfile", label: "Teams device profile", kind: "checkbox" },
  { name: "roleScopeTagIds", label: "Scope tags (comma-separated)", kind: "text" },
];

/** The field a message of the API names: the member mentioned first. */
export function fieldOf(message) {
  let best = null;
  for (const f of FIELDS) {
    const at = message.indexOf(f.name);
    if (at >= 0 && (!best || at < best.at || (at === best.at && f.name.length > best.name.length))) {
      best = { at, name: f.name };
    }
  }
  return best && best.name;
}

function inputFor(f, profile) {
  const id = `f-${f.name}`;
  const value = profile ? profile[f.name] : undefined;
  const common = { id, name: f.name, "aria-describedby": `${id}-error${f.hint ? ` ${id}-hint` : ""}` };
  switch (f.kind) {
    case "textarea":
      return el("textarea", { ...common, rows: 3, value: value ?? "" });
    case "select":
      return el("select", common, f.options.map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
    case "checkbox":
      return el("input", { ...common, type: "checkbox", checked: profile ? Boolean(value) : f.name === "configureWifi" });
    case "password":
      return el("input", {
        ...common, type: "password", autocomplete: "new-password",
        placeholder: profile && profile.wifiPassword ? "unchanged" : "",
      });
    default:
      return el("input", {
        ...common, type: "text", required: f.required, autocomplete: "off",
        value: f.name === "roleScopeTagIds" ? (value || ["0"]).join(", ") : value ?? "",
      });
  }
}

function valueOf(f, input) {
  if (f.kind === "checkbox") return input.checked;
  if (f.kind === "password") return input.value === "" ? null : input.value;
  if (f.name === "roleScopeTagIds") return input.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (f.kind === "text" || f.kind === "textarea") return input.value === "" && f.name !== "displayName" ? null : input.value;
  return input.value;
}

/** The create form (`id` null) or the edit form of a profile. */
export async function profileForm(main, me, id) {
  const profile = id ? await call("GET", profilePath(id)) : null;
  const title = profile ? `Edit ${profile.displayName}` : "New profile";
  if (!me.canWrite) {
    replace(main, el("h1", {}, title), el("p", { class: "error", role: "alert" },
      "Not allowed: your access token can read profiles but not change them."));
    return;
  }
  const inputs = new Map();
  const general = el("div", { class: "form-error" });
  const fields = FIELDS.map((f) => {
    const input = inputFor(f, profile);
    inputs.set(f.name, input);
    const label = el("label", { for: input.id }, f.label);
    const error = el("p", { id: `${input.id}-error`, class: "field-error" });
    const hint = f.hint ? el("p", { id: `${input.id}-hint`, class: "hint" }, f.hint) : null;
    return el("div", { class: `field ${f.kind === "checkbox" ? "check" : ""}`, "data-field": f.name },
      f.kind === "checkbox" ? [input, label] : [label, input], hint, error);
  });
  const clearErrors = () => {
    replace(general);
    for (const [name, input] of inputs) {
      input.removeAttribute("aria-invalid");
      replace(document.getElementById(`f-${name}-error`));
    }
  };
  const form = el(
    "form",
    {
      class: "profile-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearErrors();
        const body = {};
        for (const f of FIELDS) {
          const input = inputs.get(f.name);
          if (f.kind === "password" && input.value === "" && profile) continue;
          body[f.name] = valueOf(f, input);
        }
        const submit = form.querySelector("button[type=submit]");
        submit.disabled = true;
        try {
          let saved;
          if (profile) {
            saved = await call("PATCH", profilePath(profile.id), {
              body,
              headers: { Prefer: "return=representation", "If-Match": profile["@odata.etag"] || "*" },
            });
          } else {
            saved = await call("POST", PROFILES, { body });
          }
          announce(`Saved ${saved.displayName}.`);
          location.hash = `#/p/${encodeURIComponent(saved.id)}`;
        } catch (err) {
          submit.disabled = false;
          const name = err.status === 400 ? fieldOf(err.message) : null;
          if (name) {
            const input = inputs.get(name);
            input.setAttribute("aria-invalid", "true");
            replace(document.getElementById(`f-${name}-error`), err.message);
            input.focus();
          } else if (err.status === 412) {
            replace(general, el("p", { class: "error", role: "alert" },
              "Someone else changed this profile since you opened it. Reload the page to see their change, then edit again."));
          } else {
            replace(general, errorBox(err));
          }
        }
      },
    },
    general,
    fields,
    el("div", { class: "actions" },
      el("button", { type: "submit" }, profile ? "Save" : "Create profile"),
      el("a", { class: "button secondary", href: profile ? `#/p/${encodeURIComponent(profile.id)}` : "#/" }, "Cancel")),
  );
  replace(main, el("h1", {}, title), form);
}

function row(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

/** The detail page of a profile. */
export async function profileView(main, me, id) {
  const p = await call("GET", profilePath(id));
  const path = profilePath(p.id);
  const wifi = p.configureWifi && p.wifiSsid;
  const details = el("dl", { class: "details" },
    row("Mode", mode(p.enrollmentMode).label),
    row("Description", p.description || "—"),
    row("Token type", p.enrollmentTokenType),
    row("Wi-Fi network", wifi ? `${p.wifiSsid} (${p.wifiSecurityType}${p.wifiHidden ? ", hidden" : ""})` : "none"),
    row("Device name template", p.deviceNameTemplate || "—"),
    row("Scope tags", (p.roleScopeTagIds || []).join(", ") || "—"),
    row("Enrolled devices", String(p.enrolledDeviceCount)),
    row("Enrollments with this token", String(p.enrollmentTokenUsageCount)),
    row("Last changed", timeEl(date(p.lastModifiedDateTime))));
  const remove = async () => {
    if (!(await confirmAction(`Delete the profile "${p.displayName}"? Its token stops working.`, "Delete"))) return;
    try {
      await call("DELETE", path, { headers: { "If-Match": p["@odata.etag"] || "*" } });
      announce(`Deleted ${p.displayName}.`);
      location.hash = "#/";
    } catch (err) {
      main.prepend(errorBox(err));
    }
  };
  replace(
    main,
    el("p", { class: "crumbs" }, el("a", { href: "#/" }, "Profiles")),
    el("div", { class: "title-row" },
      el("h1", {}, p.displayName),
      me.canWrite ? el("div", { class: "actions" },
        el("a", { class: "button secondary", href: `#/p/${encodeURIComponent(p.id)}/edit` }, "Edit"),
        el("button", { type: "button", class: "danger", onclick: remove }, "Delete profile")) : null),
    el("div", { class: "columns" },
      tokenSection(me, p),
      el("section", { "aria-labelledby": "details-title" }, el("h2", { id: "details-title" }, "Settings"), details)),
    devicesSection(me, p),
    auditSection(me, p),
  );
}

/** The token: the QR code large, its expiry, the Wi-Fi network; create and revoke. */
function tokenSection(me, p) {
  const section = el("section", { class: "token", "aria-labelledby": "token-title" }, el("h2", { id: "token-title" }, "Enrollment token"));
  const expires = date(p.tokenExpirationDateTime);
  const path = profilePath(p.id);
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  if (p.tokenValue && p.qrCodeImage) {
    const expired = expires && expires < new Date();
    append(
      section,
      expired ? el("p", { class: "warning", role: "alert" },
        "This token has expired: devices cannot enroll with this QR code. Create a new token.") : null,
      el("img", {
        class: "qr",
        src: `data:${p.qrCodeImage.type || "image/png"};base64,${p.qrCodeImage.value}`,
        alt: `QR code to enroll a device with the profile ${p.displayName}`,
      }),
      el("p", { class: "expiry" }, expired ? "Expired " : "Expires ", timeEl(expires)),
      el("p", {}, p.configureWifi && p.wifiSsid ? `Joins the Wi-Fi network ${p.wifiSsid}.` : "No Wi-Fi network in the code: the device needs a network before it scans."),
      el("div", { class: "actions" },
        el("a", { class: "button", href: `#/p/${encodeURIComponent(p.id)}/sheet` }, "Enrollment sheet to print"),
        el("button", { type: "button", class: "secondary", onclick: () => downloadExtras(p) }, "Download zero-touch DPC extras"),
        me.canWrite ? el("button", {
          type: "button", class: "danger",
          onclick: async () => {
            if (!(await confirmAction("Revoke the token? Its QR code stops working at once.", "Revoke"))) return;
            try {
              await call("POST", `${path}/revokeToken`);
              announce("The token was revoked.");
              reload();
            } catch (err) {
              section.append(errorBox(err));
            }
          },
        }, "Revoke token") : null),
    );
  } else {
    section.append(el("p", {}, "No token: create one to get a QR code."));
  }
  if (me.canWrite) section.append(tokenForm(p, reload));
  return section;
}

const UNITS = [["3600", "hours"], ["86400", "days"]];

function tokenForm(p, reload) {
  const max = mode(p.enrollmentMode).maxSeconds;
  const amount = el("input", { id: "token-validity", type: "number", min: 1, step: 1, value: 30, required: true, "aria-describedby": "token-validity-hint token-validity-error" });
  const unit = el("select", { id: "token-unit", "aria-label": "Unit" }, UNITS.map(([v, label]) => el("option", { value: v, selected: v === "86400" }, label)));
  const maxDays = Math.floor(max / 86400);
  const error = el("p", { id: "token-validity-error", class: "field-error" });
  const form = el(
    "form",
    {
      class: "token-form",
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        amount.removeAttribute("aria-invalid");
        const seconds = Math.round(Number(amount.value) * Number(unit.value));
        if (!Number.isFinite(seconds) || seconds < 60 || seconds > max) {
          amount.setAttribute("aria-invalid", "true");
          replace(error, `Choose between 1 hour and ${maxDays.toLocaleString()} days for this mode.`);
          amount.focus();
          return;
        }
        try {
          await call("POST", `${profilePath(p.id)}/createToken`, { body: { tokenValidityInSeconds: seconds } });
          announce("A new token was created.");
          reload();
        } catch (err) {
          amount.setAttribute("aria-invalid", "true");
          replace(error, errorText(err));
        }
      },
    },
    el("h3", {}, p.tokenValue ? "Replace the token" : "Create a token"),
    el("div", { class: "field inline" },
      el("label", { for: "token-validity" }, "Valid for"), amount, unit),
    el("p", { id: "token-validity-hint", class: "hint" },
      `At most ${maxDays.toLocaleString()} days for ${mode(p.enrollmentMode).label}.${p.tokenValue ? " A new token replaces the current one at once." : ""}`),
    error,
    el("button", { type: "submit" }, p.tokenValue ? "Create a new token" : "Create token"),
  );
  return form;
}

function downloadExtras(p) {
  const json = JSON.stringify(dpcExtras(p), null, 2);
  const url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
  const name = `dpc-extras-${p.displayName.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || p.id}.json`;
  const a = el("a", { href: url, download: name, class: "visually-hidden" }, "download");
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The profile's devices, newest first; a record superseded by a newer one of the same serial is marked. */
function devicesSection(me, p) {
  const section = el("section", { "aria-labelledby": "devices-title" }, el("h2", { id: "devices-title" }, "Devices"));
  const body = el("div", { class: "table-wrap" }, el("p", {}, "Loading…"));
  section.append(body);
  const load = async (link) => {
    try {
      const page = await call("GET", link || DEVICES + query({
        $filter: `enrollmentProfileId eq ${literal(p.id)}`,
        $orderby: "enrolledDateTime desc,id",
        $top: 50,
      }));
      const newest = new Map();
      for (const d of page.value) {
        if (d.serialNumber && !newest.has(d.serialNumber)) newest.set(d.serialNumber, d.id);
      }
      if (!page.value.length) {
        replace(body, el("p", {}, "No device has enrolled with this profile."));
        return;
      }
      replace(body, el("table", { class: "devices" },
        el("thead", {}, el("tr", {},
          ["Device", "Serial", "Model", "Enrolled", "Last check-in", "State", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, page.value.map((d) => {
          const superseded = d.serialNumber && newest.get(d.serialNumber) !== d.id;
          return el("tr", { class: superseded ? "superseded" : null },
            el("td", {}, d.managedDeviceName || d.deviceName || "—", superseded ? el("span", { class: "badge" }, "superseded") : null),
            el("td", {}, d.serialNumber || "—"),
            el("td", {}, [d.manufacturer, d.model].filter(Boolean).join(" ") || "—"),
            el("td", {}, timeEl(date(d.enrolledDateTime))),
            el("td", {}, timeEl(date(d.lastSyncDateTime))),
            el("td", {}, d.managementState),
            el("td", {}, deviceActions(me, d, () => load(link))));
        }))),
      page["@odata.nextLink"] ? el("button", { type: "button", onclick: () => load(page["@odata.nextLink"]) }, "More devices") : null);
    } catch (err) {
      replace(body, errorBox(err));
    }
  };
  load();
  return section;
}

function deviceActions(me, d, reload) {
  if (!me.canManageDevices || d.managementState !== "managed") return null;
  const name = d.managedDeviceName || d.deviceName || d.serialNumber || d.id;
  const action = (verb, question) => el("button", {
    type: "button", class: "danger small", "aria-label": `${verb[0].toUpperCase()}${verb.slice(1)} ${name}`,
    onclick: async (e) => {
      if (!(await confirmAction(question, verb[0].toUpperCase() + verb.slice(1)))) return;
      try {
        await call("POST", `${DEVICES}/${encodeURIComponent(d.id)}/${verb}`, { body: {} });
        announce(`${verb} queued for ${name}.`);
        reload();
      } catch (err) {
        e.target.after(errorBox(err));
      }
    },
  }, verb[0].toUpperCase() + verb.slice(1));
  return [
    action("retire", `Retire ${name}? The device leaves management at its next check-in.`),
    me.canWipe ? action("wipe", `Wipe ${name}? The device is reset to factory settings at its next check-in; its data is lost.`) : null,
  ];
}

/** The audit events about this profile, among the tenant's newest events. */
function auditSection(me, p) {
  const section = el("section", { "aria-labelledby": "audit-title" }, el("h2", { id: "audit-title" }, "Audit events"));
  if (!me.canReadAudit) {
    section.append(el("p", {}, "Your access token cannot read the audit trail (DeviceManagementApps.Read.All)."));
    return section;
  }
  const list = el("ol", { class: "audit" });
  const status = el("p", { class: "hint" }, "Loading…");
  section.append(list, status);
  let seen = 0;
  const load = async (link) => {
    try {
      const page = await call("GET", link || AUDIT + query({
        $filter: "category eq 'Enrollment'",
        $orderby: "activityDateTime desc,id",
        $select: "id,activityDateTime,activityType,activityResult,actor,resources",
        $top: 200,
      }));
      seen += page.value.length;
      for (const e of page.value) {
        if (!(e.resources || []).some((r) => r.resourceId === p.id)) continue;
        const who = (e.actor && (e.actor.userPrincipalName || e.actor.applicationDisplayName || e.actor.type)) || "";
        list.append(el("li", {}, timeEl(date(e.activityDateTime)), " ", e.activityType, who ? ` by ${who}` : "",
          e.activityResult && e.activityResult !== "Success" ? ` (${e.activityResult})` : ""));
      }
      replace(status, `Searched the ${seen.toLocaleString()} newest enrollment events of the tenant. `,
        page["@odata.nextLink"] ? el("button", { type: "button", class: "link", onclick: () => load(page["@odata.nextLink"]) }, "Search older events") : null);
      if (!list.children.length && !page["@odata.nextLink"]) replace(status, "No audit event about this profile.");
    } catch (err) {
      replace(status, errorBox(err));
    }
  };
  load();
  return section;
}
