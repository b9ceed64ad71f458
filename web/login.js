// login: signs in and goes to the desk, in the desk's language.
import { api, ApiError } from "/api.js";
import { t, chooseLang, setLang } from "/i18n.js";

setLang(chooseLang(), false).then(() => {
  for (const [id, key] of [["l-email", "login.email"], ["l-password", "login.password"],
    ["l-submit", "login.submit"]])
    document.getElementById(id).textContent = t(key);
  document.title = `${t("login.submit")} · kanal`;
}).catch(() => {}); // English, as the page is written, if the translation cannot be had.

const form = document.getElementById("login");
const error = document.getElementById("error");

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  error.textContent = "";
  try {
    await api("POST", "/session", {
      email: document.getElementById("email").value,
      password: document.getElementById("password").value,
    });
    location.assign("/");
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : t("login.unreachable");
  }
});
