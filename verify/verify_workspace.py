# placeholder: replaced by the workspace verifier
