// login: signs in and goes to the desk.
import { api, ApiError } from "/api.js";

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
    error.textContent = e instanceof ApiError ? e.message : "kanal could not be reached";
  }
});
