import { loginBodySchema, registerBodySchema, type AuthResponse } from '@chat/contracts';
import { useId, useState, type FormEvent } from 'react';
import { login, register } from '../api/auth.js';
import { ApiError } from '../api/http.js';
import { tooManyAttempts } from '../api/wait.js';
import { ChatBubbleIcon } from './icons.js';
import { identifierInputProps } from './input-props.js';

type Mode = 'login' | 'register';
type Field = 'username' | 'password' | 'displayName';
type FieldErrors = Partial<Record<Field, string>>;

interface AuthScreenProps {
  onSignedIn: (auth: AuthResponse) => void;
  /** Injected in tests; the real API calls by default. */
  api?: { login: typeof login; register: typeof register };
}

const FIELDS: readonly Field[] = ['username', 'password', 'displayName'];
const isField = (f: unknown): f is Field => FIELDS.includes(f as Field);
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Log in or sign up. Errors from the contract's schemas or the API appear under their field. */
export function AuthScreen({ onSignedIn, api = { login, register } }: AuthScreenProps) {
  const [mode, setMode] = useState<Mode>('login');
  const [values, setValues] = useState({ username: '', password: '', displayName: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const isRegister = mode === 'register';

  const switchMode = (next: Mode) => {
    setMode(next);
    setErrors({});
    setFormError(undefined);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(undefined);
    const local = validate(mode, values);
    setErrors(local.errors);
    if (!local.body) return;
    setBusy(true);
    try {
      onSignedIn(isRegister ? await api.register(local.body) : await api.login(local.body));
    } catch (err) {
      const { fieldErrors, message } = describeApiError(err, mode);
      setErrors(fieldErrors);
      setFormError(message);
      setBusy(false);
    }
  };

  const field = (name: Field) => ({
    value: values[name],
    error: errors[name],
    onChange: (value: string) => {
      setValues((v) => ({ ...v, [name]: value }));
      setErrors(({ [name]: _cleared, ...rest }) => rest);
    },
  });

  return (
    <div className="auth">
      <div className="auth__card">
        <div className="auth__brand">
          <span className="brand__mark brand__mark--lg" aria-hidden="true">
            <ChatBubbleIcon />
          </span>
          <h1 className="auth__title">{isRegister ? 'Create your account' : 'Welcome back'}</h1>
          <p className="auth__subtitle">
            {isRegister ? 'Pick a username and start talking in seconds.' : 'Log in to pick up where you left off.'}
          </p>
        </div>

        <div className="auth__tabs" role="group" aria-label="Log in or sign up">
          <button type="button" aria-pressed={!isRegister} className="auth__tab" onClick={() => switchMode('login')}>
            Log in
          </button>
          <button type="button" aria-pressed={isRegister} className="auth__tab" onClick={() => switchMode('register')}>
            Sign up
          </button>
        </div>

        <form className="auth__form" onSubmit={submit} noValidate aria-label={isRegister ? 'Sign up' : 'Log in'}>
          <TextField label="Username" name="username" autoComplete="username" {...field('username')} />
          {isRegister && (
            <TextField
              label="Display name"
              name="displayName"
              autoComplete="nickname"
              hint="Optional — shown next to your messages."
              {...field('displayName')}
            />
          )}
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete={isRegister ? 'new-password' : 'current-password'}
            hint={isRegister ? 'At least 8 characters.' : undefined}
            {...field('password')}
          />
          {formError && (
            <p className="form-error tone--danger" role="alert">
              {formError}
            </p>
          )}
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Please wait…' : isRegister ? 'Create account' : 'Log in'}
          </button>
        </form>
      </div>
    </div>
  );
}

interface TextFieldProps {
  label: string;
  name: Field;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  type?: 'text' | 'password';
  autoComplete: string;
  hint?: string | undefined;
}

function TextField({ label, name, value, error, onChange, type = 'text', autoComplete, hint }: TextFieldProps) {
  const id = useId();
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        className="field__input"
        value={value}
        autoComplete={autoComplete}
        {...identifierInputProps}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && !error && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" data-testid={`${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

type Values = Record<Field, string>;

/** Check the form with the contract's own schemas before asking the server. */
function validate(mode: Mode, values: Values) {
  const errors: FieldErrors = {};
  if (!values.username.trim()) errors.username = 'Enter a username.';
  if (!values.password) errors.password = 'Enter a password.';
  if (Object.keys(errors).length > 0) return { errors, body: undefined };
  const parsed =
    mode === 'register'
      ? registerBodySchema.safeParse({
          username: values.username,
          password: values.password,
          ...(values.displayName.trim() ? { displayName: values.displayName } : {}),
        })
      : loginBodySchema.safeParse({ username: values.username, password: values.password });
  if (parsed.success) return { errors, body: parsed.data };
  for (const issue of parsed.error.issues) {
    const name = issue.path[0];
    if (isField(name)) errors[name] ??= sentence(issue.message);
  }
  return { errors, body: undefined };
}

/** Place an API error under its field when it names one; otherwise above the button. */
function describeApiError(err: unknown, mode: Mode): { fieldErrors: FieldErrors; message?: string } {
  if (!(err instanceof ApiError)) return { fieldErrors: {}, message: 'Something went wrong. Try again.' };
  if (isField(err.field)) return { fieldErrors: { [err.field]: sentence(err.message) } };
  if (err.code === 'CONFLICT') return { fieldErrors: { username: 'That username is taken. Try another.' } };
  if (err.code === 'UNAUTHORIZED' && mode === 'login') {
    return { fieldErrors: {}, message: 'Wrong username or password.' };
  }
  if (err.code === 'RATE_LIMITED') return { fieldErrors: {}, message: tooManyAttempts(err.retryAfterSec) };
  return { fieldErrors: {}, message: err.message };
}
