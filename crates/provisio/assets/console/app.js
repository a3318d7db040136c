// The console's entry: the account bar, the hash router and the profile list.

import { account, CALLBACK, completeSignIn, forget, SignInError, signOut, startSignIn, useToken } from "./auth.js";
import { call, literal, MODES, mode, PROFILES, query } from "./api.js";
import { date, el, errorBox, replace, timeEl } from "./dom.js";
import { profileView, profileForm } from "./profile.js";
import { sheetView } from "./sheet.js";

const main = document.getElementById("main");
const PAGE_SIZE = 25;

/** The routes: `#/`, `#/new`, `#/expiring`, `#/p/{id}`, `#/p/{id}/edit`, `#/p/{id}/sheet`. */
async function route() {
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/")) return;
  const [path, search] = hash.slice(1).split("?");
  const params = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  document.body.classList.toggle("sheet-page", parts[0] === "p" && parts[2] === "sheet");
  let me;
  try {
    me = await account();
  } catch (e) {
    signInPage(e);
    return;
  }
  accountBar(me);
  replace(main, el("p", {}, "Loading…"));
  try {
    if (parts.length === 0) await listView(me, params);
    else if (parts[0] === "new") await profileForm(main, me, null);
    else if (parts[0] === "expiring") await expiringView(params);
    else if (parts[0] === "p" && parts[1] && !parts[2]) await profileView(main, me, parts[1]);
    else if (parts[0] === "p" && parts[1] && parts[2] === "edit") await profileForm(main, me, parts[1]);
    else if (parts[0] === "p" && parts[1] && parts[2] === "sheet") await sheetView(main, parts[1]);
    else replace(main, el("h1", {}, "Not found"), el("p", {}, el("a", { href: "#/" }, "Back to the profiles")));
  } catch (e) {
    replace(main, el("h1", {}, "Something went wrong"), errorBox(e));
  }
  const heading = main.querySelector("h1");
  if (heading) document.title = `${heading.textContent} · provisio`;
}

function accountBar(me) {
  const box = document.getElementById("account");
  replace(
    box,
    el("span", { class: "who" }, `${me.name}${me.canWrite ? "" : " (read-only)"}`),
    " ",
    el("button", { type: "button", class: "link", onclick: () => tokenDialog() }, "Use another access token"),
    me.source === "development" ? null : " ",
    me.source === "development" ? null : el("button", {
      type: "button",
      class: "link",
      onclick: async () => {
        if (!(await signOut())) route();
      },
    }, "Sign out"),
  );
}

/** A form to paste an access token (for a server in production mode, or another identity). */
function tokenDialog(message) {
  const input = el("textarea", { id: "access-token", rows: 4, required: true, autocomplete: "off", spellcheck: "false" });
  const dialog = el(
    "dialog",
    { class: "token-dialog", "aria-labelledby": "token-dialog-title" },
    el(
      "form",
      {
        method: "dialog",
        onsubmit: (e) => {
          e.preventDefault();
          useToken(input.value);
          dialog.close();
          dialog.remove();
          route();
        },
      },
      el("h2", { id: "token-dialog-title" }, "Use an access token"),
      message ? el("p", { class: "error", role: "alert" }, message) : null,
      el("label", { for: "access-token" }, "Access token (kept in this tab's memory only)"),
      input,
      el("div", { class: "actions" },
        el("button", { type: "submit" }, "Use this token"),
        el("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); } }, "Cancel")),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
}

function signInPage(err) {
  forget();
  replace(document.getElementById("account"));
  const text = err instanceof SignInError ? err.message : String(err);
  const withProvider = err instanceof SignInError && err.canSignIn;
  const problem = el("p", { class: withProvider ? null : "error", role: "alert" }, text);
  replace(
    main,
    el("h1", {}, "Sign in"),
    problem,
    withProvider
      ? el("button", {
          type: "button",
          id: "sign-in",
          onclick: () => startSignIn().catch((e) => {
            problem.className = "error";
            problem.textContent = e.message;
          }),
        }, "Sign in")
      : null,
    " ",
    el("button", { type: "button", class: withProvider ? "link" : null, onclick: () => tokenDialog() }, "Paste an access token"),
  );
}

function modeSelect(id, value, withAll) {
  return el(
    "select",
    { id, name: id },
    withAll ? el("option", { value: "" }, "All modes") : null,
    MODES.map((m) => el("option", { value: m.value, selected: m.value === value }, m.label)),
  );
}

/** The profile list: search by name, filter by mode, page through `@odata.nextLink`. */
async function listView(me, params) {
  const name = params.get("name") || "";
  const modeValue = params.get("mode") || "";
  const filters = [];
  if (name) filters.push(`startswith(displayName,${literal(name)})`);
  if (modeValue) filters.push(`enrollmentMode eq ${literal(modeValue)}`);
  const first =
    PROFILES +
    query({
      $select: "id,displayName,enrollmentMode,tokenExpirationDateTime,enrolledDeviceCount",
      $filter: filters.join(" and "),
      $orderby: "displayName,id",
      $top: PAGE_SIZE,
    });
  const nameInput = el("input", { id: "search-name", name: "name", type: "search", value: name, autocomplete: "off" });
  const modeInput = modeSelect("search-mode", modeValue, true);
  const search = el(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        if (nameInput.value) p.set("name", nameInput.value);
        if (modeInput.value) p.set("mode", modeInput.value);
        location.hash = `#/?${p}`;
      },
    },
    el("div", { class: "field" }, el("label", { for: "search-name" }, "Name starts with"), nameInput),
    el("div", { class: "field" }, el("label", { for: "search-mode" }, "Mode"), modeInput),
    el("button", { type: "submit" }, "Search"),
  );
  const table = el("div", { class: "table-wrap" });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  replace(
    main,
    el("div", { class: "title-row" },
      el("h1", {}, "Enrollment profiles"),
      me.canWrite ? el("a", { class: "button", href: "#/new" }, "New profile") : null),
    search,
    table,
    pager,
  );
  const pages = [first];
  const show = async (index) => {
    let page;
    try {
      page = await call("GET", pages[index]);
    } catch (e) {
      replace(table, errorBox(e));
      replace(pager);
      return;
    }
    if (page["@odata.nextLink"]) pages[index + 1] = page["@odata.nextLink"];
    replace(table, profileTable(page.value));
    replace(
      pager,
      index > 0 ? el("button", { type: "button", onclick: () => show(index - 1) }, "Previous page") : null,
      el("span", { class: "page-number" }, `Page ${index + 1}`),
      page["@odata.nextLink"] ? el("button", { type: "button", onclick: () => show(index + 1) }, "Next page") : null,
    );
  };
  await show(0);
}

function profileTable(rows) {
  if (!rows.length) return el("p", {}, "No profiles.");
  return el(
    "table",
    { class: "profiles" },
    el("caption", { class: "visually-hidden" }, "Enrollment profiles"),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Name"),
      el("th", { scope: "col" }, "Mode"),
      el("th", { scope: "col" }, "Token expires"),
      el("th", { scope: "col" }, "Devices"))),
    el("tbody", {}, rows.map((p) => {
      const expires = date(p.tokenExpirationDateTime);
      return el("tr", {},
        el("td", {}, el("a", { href: `#/p/${encodeURIComponent(p.id)}` }, p.displayName)),
        el("td", {}, mode(p.enrollmentMode).label),
        el("td", { class: expires && expires < new Date() ? "expired" : null },
          expires ? timeEl(expires) : "no token"),
        el("td", { class: "number" }, String(p.enrolledDeviceCount)));
    })),
  );
}

/** Profiles whose token expires within the chosen window. */
async function expiringView(params) {
  const days = Number(params.get("days") || "7");
  const now = new Date();
  const until = new Date(now.getTime() + days * 86400 * 1000);
  const path =
    PROFILES +
    query({
      $select: "id,displayName,enrollmentMode,tokenExpirationDateTime",
      $filter: `tokenExpirationDateTime gt ${now.toISOString()} and tokenExpirationDateTime le ${until.toISOString()}`,
      $orderby: "tokenExpirationDateTime,id",
      $top: 200,
    });
  const select = el(
    "select",
    { id: "expiring-days", onchange: (e) => { location.hash = `#/expiring?days=${e.target.value}`; } },
    [1, 7, 30, 90].map((d) => el("option", { value: d, selected: d === days }, d === 1 ? "1 day" : `${d} days`)),
  );
  const list = el("div", { class: "table-wrap" });
  replace(
    main,
    el("h1", {}, "Tokens that expire soon"),
    el("div", { class: "field inline" }, el("label", { for: "expiring-days" }, "Expiring within"), select),
    list,
  );
  try {
    const page = await call("GET", path);
    if (!page.value.length) {
      replace(list, el("p", {}, `No token expires within ${days} days.`));
      return;
    }
    replace(list, el("table", {},
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Profile"),
        el("th", { scope: "col" }, "Mode"),
        el("th", { scope: "col" }, "Expires"))),
      el("tbody", {}, page.value.map((p) => el("tr", {},
        el("td", {}, el("a", { href: `#/p/${encodeURIComponent(p.id)}` }, p.displayName)),
        el("td", {}, mode(p.enrollmentMode).label),
        el("td", {}, timeEl(date(p.tokenExpirationDateTime))))))),
      page["@odata.nextLink"] ? el("p", {}, "More than 200 tokens expire in this window; the first 200 are shown.") : null);
  } catch (e) {
    replace(list, errorBox(e));
  }
}

window.addEventListener("hashchange", route);
if (location.pathname === CALLBACK) {
  completeSignIn().then(route, signInPage);
} else {
  route();
}
