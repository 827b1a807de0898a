export default function Login() {
  return (
    <form method="post" action="/login">
      <p><label>User name <input name="user" required maxLength={64} /></label></p>
      <p><label><input type="checkbox" name="remember" value="1" /> Remember me</label></p>
      <p><button type="submit">Log in</button></p>
    </form>
  );
}
