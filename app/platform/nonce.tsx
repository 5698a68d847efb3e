import { createContext, useContext } from "react";

// The per-response CSP nonce, set by the server and read by <Scripts>.
const NonceContext = createContext<string>("");
export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
