//! Users, roles and privileges: `CREATE/DROP USER`, `CREATE/DROP ROLE`, `GRANT`, `REVOKE` and
//! `SHOW GRANTS`.

use datafusion::sql::sqlparser::tokenizer::Token as SqlToken;

use super::ast::{
    Grant, GrantItems, GrantObject, Grantee, NewPassword, ObjectName, Privilege, Statement,
    UserIdentity,
};
use super::parser::{PResult, Parser};

/// Privilege keywords and what they mean.
const PRIVILEGES: &[(&str, Privilege)] = &[
    ("SELECT", Privilege::Select),
    ("INSERT", Privilege::Insert),
    ("DELETE", Privilege::Delete),
    ("ALTER", Privilege::Alter),
    ("DROP", Privilege::Drop),
    ("ALL", Privilege::All),
    ("FILE", Privilege::File),
];

impl Parser<'_> {
    /// After `CREATE USER`: `[IF NOT EXISTS] 'u'[@'host'] [IDENTIFIED BY [PASSWORD] 'p']`.
    pub(crate) fn create_user(&mut self) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let user = self.user_identity()?;
        let password = if self.is_keyword("IDENTIFIED") {
            Some(self.identified_by()?)
        } else {
            None
        };
        Ok(Statement::CreateUser {
            if_not_exists,
            user,
            password,
        })
    }

    /// `ALTER USER 'u'[@'host'] IDENTIFIED BY [PASSWORD] 'p'`.
    pub(crate) fn alter_user(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["ALTER", "USER"])?;
        let user = self.user_identity()?;
        Ok(Statement::SetPassword {
            user: Some(user),
            password: self.identified_by()?,
        })
    }

    /// `SET PASSWORD [FOR 'u'] = PASSWORD('p')` or `= 'text'`, where `text` is a native hash when
    /// it looks like one (`*` and 40 hex digits, as StarRocks and MySQL 5.7 take it) and the
    /// password itself otherwise (as MySQL 8 takes it).
    pub(crate) fn set_password(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["SET", "PASSWORD"])?;
        let user = if self.eat_keyword("FOR") {
            Some(self.user_identity()?)
        } else {
            None
        };
        self.expect_punct('=')?;
        let password = if self.eat_keyword("PASSWORD") {
            self.expect_punct('(')?;
            let text = self.string()?;
            self.expect_punct(')')?;
            NewPassword::Plain(text)
        } else {
            let text = self.string()?;
            if NewPassword::is_native_hash(&text) {
                NewPassword::NativeHash(text)
            } else {
                NewPassword::Plain(text)
            }
        };
        Ok(Statement::SetPassword { user, password })
    }

    /// `IDENTIFIED BY 'p'` or `IDENTIFIED BY PASSWORD '*<40 hex>'`.
    fn identified_by(&mut self) -> PResult<NewPassword> {
        self.expect_keywords(&["IDENTIFIED", "BY"])?;
        if self.eat_keyword("PASSWORD") {
            let at = self.position();
            let text = self.string()?;
            if !NewPassword::is_native_hash(&text) {
                self.rewind(at);
                return Err(self.error("a password hash: '*' and 40 hexadecimal digits"));
            }
            Ok(NewPassword::NativeHash(text))
        } else {
            Ok(NewPassword::Plain(self.string()?))
        }
    }

    /// `'name'` or `'name'@'host'`; names and hosts may also be identifiers.
    pub(crate) fn user_identity(&mut self) -> PResult<UserIdentity> {
        // MySQL's tokenizer reads `@` as part of a word: `u@host` is one word, `u@'%'` the word
        // `u@` and a string, and `'u'@host` a string and the word `@host`.
        if let Some(SqlToken::Word(w)) = self.peek_kind()
            && w.quote_style.is_none()
            && let Some((name, host)) = w.value.split_once('@')
            && !name.is_empty()
        {
            let (name, host) = (name.to_owned(), host.to_owned());
            self.advance();
            let host = if host.is_empty() {
                self.ident_or_string()?
            } else {
                host
            };
            return Ok(UserIdentity {
                name,
                host: Some(host),
            });
        }
        let name = self.ident_or_string()?;
        let host = if let Some(host) = self.at_word() {
            self.advance();
            Some(host)
        } else if self.eat_punct('@') {
            Some(self.ident_or_string()?)
        } else {
            None
        };
        Ok(UserIdentity { name, host })
    }

    /// After `SHOW GRANTS`: `[FOR 'u']`.
    pub(crate) fn show_grants(&mut self) -> PResult<Statement> {
        let user = if self.eat_keyword("FOR") {
            Some(self.user_identity()?)
        } else {
            None
        };
        Ok(Statement::ShowGrants { user })
    }

    /// `GRANT items [ON object] TO grantee`.
    pub(crate) fn grant(&mut self) -> PResult<Statement> {
        self.expect_keyword("GRANT")?;
        Ok(Statement::Grant(self.grant_body("TO")?))
    }

    /// `REVOKE items [ON object] FROM grantee`.
    pub(crate) fn revoke(&mut self) -> PResult<Statement> {
        self.expect_keyword("REVOKE")?;
        Ok(Statement::Revoke(self.grant_body("FROM")?))
    }

    /// What follows `GRANT` or `REVOKE`: roles, or privileges with `ON`, then `direction` (`TO` or
    /// `FROM`) and the grantee. Whether the names are roles or privileges is known only at `ON`.
    fn grant_body(&mut self, direction: &str) -> PResult<Grant> {
        let mut names = Vec::new();
        loop {
            let at = self.position();
            let name = self.ident()?;
            if name.eq_ignore_ascii_case("ALL") {
                self.eat_keyword("PRIVILEGES");
            }
            names.push((at, name));
            if !self.eat_punct(',') {
                break;
            }
        }
        let items = if self.eat_keyword("ON") {
            let resume = self.position();
            let privileges = names
                .iter()
                .map(|(at, name)| self.privilege(*at, name))
                .collect::<PResult<Vec<_>>>()?;
            self.rewind(resume);
            GrantItems::Privileges {
                privileges,
                on: self.grant_object()?,
            }
        } else {
            GrantItems::Roles(names.into_iter().map(|(_, name)| name).collect())
        };
        self.expect_keyword(direction)?;
        Ok(Grant {
            items,
            grantee: self.grantee()?,
        })
    }

    /// The privilege named `name`, read at token `at`, or an error pointing there.
    fn privilege(&mut self, at: usize, name: &str) -> PResult<Privilege> {
        match PRIVILEGES
            .iter()
            .find(|(k, _)| name.eq_ignore_ascii_case(k))
        {
            Some((_, privilege)) => Ok(*privilege),
            None => {
                self.rewind(at);
                let names: Vec<&str> = PRIVILEGES.iter().map(|(k, _)| *k).collect();
                Err(self.expected_one_of(&names))
            }
        }
    }

    /// `*.*`, `db.*`, `db.t`, `t`, `DATABASE db` or `TABLE [db.]t`.
    fn grant_object(&mut self) -> PResult<GrantObject> {
        if self.eat_punct('*') {
            self.expect_punct('.')?;
            self.expect_punct('*')?;
            return Ok(GrantObject::Global);
        }
        if self.is_keyword("DATABASE") && !self.is_punct_at(1, '.') {
            self.advance();
            return Ok(GrantObject::Database(self.ident()?));
        }
        if self.is_keyword("TABLE") && !self.is_punct_at(1, '.') {
            self.advance();
            return Ok(GrantObject::Table(self.object_name()?));
        }
        let first = self.ident()?;
        if !self.eat_punct('.') {
            return Ok(GrantObject::Table(ObjectName {
                database: None,
                name: first,
            }));
        }
        if self.eat_punct('*') {
            return Ok(GrantObject::Database(first));
        }
        Ok(GrantObject::Table(ObjectName {
            database: Some(first),
            name: self.ident()?,
        }))
    }

    /// `ROLE r` or `[USER] 'u'[@'host']`.
    fn grantee(&mut self) -> PResult<Grantee> {
        if self.eat_keyword("ROLE") {
            return Ok(Grantee::Role(self.ident()?));
        }
        self.eat_keyword("USER");
        Ok(Grantee::User(self.user_identity()?))
    }
}
