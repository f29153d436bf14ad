@echo off
rem Aero Guest Tools: removes what setup.cmd recorded under %SystemDrive%\AeroGuestTools\.
rem Driver packages and the certificates it added; test signing or integrity checks if setup
rem changed them (asked interactively, left as they are under /force or /quiet); the boot
rem storage pre-seed and storage driver package only with /cleanupstorage.
rem Usage and exit codes: uninstall.cmd /?   Same cmd subset as setup.cmd (see its header).
setlocal EnableExtensions DisableDelayedExpansion
set "NoDefaultCurrentDirectoryInExePath=1"

if not defined PROCESSOR_ARCHITEW6432 goto :native
if not exist "%SystemRoot%\Sysnative\cmd.exe" goto :native
"%SystemRoot%\Sysnative\cmd.exe" /c ""%~f0" %*"
exit /b
:native

set "STATE=%SystemDrive%\AeroGuestTools"
set "TMPOUT=%TEMP%\aero-guest-tools-uninstall.tmp"
set "LOGFILE="
set "FAILS=0"
set "REBOOT=0"
set "F_FORCE=0"
set "F_NOREBOOT=0"
set "F_CLEANUPSTORAGE=0"
set "F_CLEANUPSTORAGEFORCE=0"
set "DRYRUN=0"
set "BADARG="
set "HELP=0"
call :parse_args %*
if "%HELP%"=="1" goto :usage_ok
if defined BADARG goto :usage_bad
rem /force and /quiet never ask, so they never restart either: restart when asked only.
if "%F_FORCE%"=="1" set "F_NOREBOOT=1"

call :detect_os
echo Aero Guest Tools uninstall
if "%DRYRUN%"=="1" call :say "Dry run: system-changing commands are printed, not run."

call fltmc >nul 2>&1
if "%ERRORLEVEL%"=="0" goto :admin_ok
if "%DRYRUN%"=="1" (
  call :say "WARNING: not running as Administrator; a real run would stop here with exit code 10."
  goto :admin_ok
)
call :say "ERROR: uninstall.cmd must run as Administrator (right-click, Run as administrator)."
exit /b 10
:admin_ok

if not exist "%STATE%\" (
  call :say "Nothing to remove: %STATE% does not exist (setup.cmd was not run here)."
  exit /b 0
)

if "%F_FORCE%"=="1" goto :confirmed
if "%DRYRUN%"=="1" goto :confirmed
call :ask "Remove the Aero Guest Tools drivers and settings recorded in %STATE%?"
if "%ANSWER%"=="1" goto :confirmed
call :say "Cancelled; nothing was changed."
exit /b 1
:confirmed
if "%F_CLEANUPSTORAGEFORCE%"=="1" if "%F_CLEANUPSTORAGE%"=="0" call :say "NOTE: /cleanupstorageforce only lets /cleanupstorage run under /force or /quiet; without /cleanupstorage it does nothing."
if "%F_CLEANUPSTORAGE%"=="0" goto :storage_confirmed
if not exist "%STATE%\storage-preseeded" goto :storage_confirmed
if "%DRYRUN%"=="1" goto :storage_confirmed
if "%F_FORCE%"=="0" goto :storage_ask
if "%F_CLEANUPSTORAGEFORCE%"=="1" goto :storage_confirmed
set "F_CLEANUPSTORAGE=0"
call :say "Keeping the boot storage driver: /cleanupstorage is ignored under /force or /quiet unless /cleanupstorageforce is given too."
goto :storage_confirmed
:storage_ask
call :ask "/cleanupstorage: if Windows boots from the virtio disk it will no longer start. Continue?"
if "%ANSWER%"=="1" goto :storage_confirmed
set "F_CLEANUPSTORAGE=0"
call :say "Keeping the boot storage driver."
:storage_confirmed

if "%DRYRUN%"=="0" set "LOGFILE=%STATE%\uninstall.log"
if defined LOGFILE >>"%LOGFILE%" echo.
if defined LOGFILE >>"%LOGFILE%" echo.==== uninstall.cmd %* ==== %DATE% %TIME%

rem ---- driver packages ------------------------------------------------------------------
set "KEEP_FILE=%STATE%\installed-packages.keep"
if exist "%KEEP_FILE%" del /f /q "%KEEP_FILE%" >nul 2>&1
if exist "%STATE%\installed-packages.txt" (
  for /f "usebackq tokens=1,2,*" %%a in ("%STATE%\installed-packages.txt") do call :remove_package "%%a" "%%b" "%%c"
  call :replace_state "installed-packages.txt" "installed-packages.keep"
) else (
  call :say "No driver packages recorded."
)

rem ---- certificates -----------------------------------------------------------------------
set "KEEP_FILE=%STATE%\installed-certs.keep"
if exist "%KEEP_FILE%" del /f /q "%KEEP_FILE%" >nul 2>&1
if exist "%STATE%\installed-certs.txt" (
  for /f "usebackq tokens=1,2" %%a in ("%STATE%\installed-certs.txt") do call :remove_cert "%%a" "%%b"
  call :replace_state "installed-certs.txt" "installed-certs.keep"
)

rem ---- signature mode ---------------------------------------------------------------------
rem Only what setup changed, and never without asking: with a test-signed boot storage driver
rem still installed, Windows would not start again.
if exist "%STATE%\testsigning-enabled-by-setup" call :signature_off testsigning "testsigning-enabled-by-setup" "Test signing"
if exist "%STATE%\nointegritychecks-enabled-by-setup" call :signature_off nointegritychecks "nointegritychecks-enabled-by-setup" "Driver integrity checks off"

rem ---- the record of the installed media ----------------------------------------------------
call :delete_state "installed-media.txt"

rem ---- boot storage pre-seed --------------------------------------------------------------
if exist "%STATE%\storage-preseeded" (
  if "%F_CLEANUPSTORAGE%"=="1" (
    call :cleanup_storage
  ) else (
    call :say "Kept the boot storage pre-seed and its driver package (use /cleanupstorage to remove them)."
  )
)

call :say ""
if "%DRYRUN%"=="1" (
  call :say "Dry run finished; nothing was changed."
  goto :finish
)
if not "%FAILS%"=="0" (
  call :say "Uninstall finished with %FAILS% failed step(s); see %STATE%\uninstall.log."
) else (
  call :say "Uninstall finished."
)
if "%F_NOREBOOT%"=="1" (
  if "%REBOOT%"=="1" call :say "Restart Windows to finish."
  goto :finish
)
call :restart_prompt "Aero Guest Tools: restarting to finish removal"
:finish
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
if not "%FAILS%"=="0" exit /b 1
exit /b 0

rem ==== steps ==============================================================================
:remove_package
set "OEM=%~1"
set "KIND=%~2"
set "SRC=%~3"
if /i "%KIND%"=="boot-storage" if "%F_CLEANUPSTORAGE%"=="0" (
  call :say "Keeping %OEM% (%SRC%): the boot storage driver; /cleanupstorage removes it."
  call :keep "installed-packages.keep" "%OEM% %KIND% %SRC%"
  goto :eof
)
if "%PNP_NEW%"=="1" (
  call :run pnputil /delete-driver "%OEM%" /uninstall /force
) else (
  call :run pnputil -f -d "%OEM%"
)
if "%RUN_RC%"=="3010" set "REBOOT=1"
if "%RUN_RC%"=="3010" set "RUN_RC=0"
if "%RUN_RC%"=="0" (
  call :say "Removed driver package %OEM% (%SRC%)."
  set "REBOOT=1"
  goto :eof
)
call :say "ERROR: pnputil could not remove %OEM% (%SRC%), exit code %RUN_RC%; it stays recorded."
call :keep "installed-packages.keep" "%OEM% %KIND% %SRC%"
set /a FAILS+=1
goto :eof

:remove_cert
call :run certutil -delstore %~1 %~2
if "%RUN_RC%"=="0" (
  call :say "Removed certificate %~2 from %~1."
  goto :eof
)
call :say "ERROR: certutil could not remove certificate %~2 from %~1; it stays recorded."
call :keep "installed-certs.keep" "%~1 %~2"
set /a FAILS+=1
goto :eof

:signature_off
rem %1 the bcdedit setting setup turned on, %2 its record, %3 what it is called.
if "%F_FORCE%"=="1" (
  call :say "%~3 left on (/force or /quiet leave the signature mode as it is); run uninstall.cmd again without them to be asked."
  goto :eof
)
if "%DRYRUN%"=="1" goto :signature_off_run
call :ask "%~3 was turned on by setup.cmd. Turn it off again (needs a restart; test-signed drivers then stop loading)?"
if "%ANSWER%"=="1" goto :signature_off_run
call :say "%~3 left on."
goto :eof
:signature_off_run
call :run bcdedit /set {current} %~1 off
if "%DRYRUN%"=="1" goto :eof
if not "%RUN_RC%"=="0" (
  call :say "ERROR: bcdedit could not turn %~1 off."
  set /a FAILS+=1
  goto :eof
)
call :say "%~3: turned off again (setup.cmd had turned it on)."
set "REBOOT=1"
call :delete_state "%~2"
goto :eof

:cleanup_storage
set "CS_SVC="
set "CS_FAILS=%FAILS%"
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="service" set "CS_SVC=%%b"
)
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="cdd" call :cleanup_cdd "%%b"
  if /i "%%a"=="sys-copied" call :cleanup_sys "%%b"
)
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="service-created" call :cleanup_service
)
if not "%FAILS%"=="%CS_FAILS%" goto :eof
call :say "Removed the boot storage pre-seed of %CS_SVC%."
call :delete_state "storage-preseeded"
set "REBOOT=1"
goto :eof

:cleanup_cdd
set "CDDKEY=HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\%~1"
call reg query "%CDDKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" goto :eof
call :run reg delete "%CDDKEY%" /f
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %CDDKEY%."
  set /a FAILS+=1
)
goto :eof

:cleanup_sys
if not exist "%~1" goto :eof
call :run del /f /q "%~1"
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %~1."
  set /a FAILS+=1
)
goto :eof

:cleanup_service
if not defined CS_SVC goto :eof
set "SVCKEY=HKLM\SYSTEM\CurrentControlSet\Services\%CS_SVC%"
call reg query "%SVCKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" goto :eof
call :run reg delete "%SVCKEY%" /f
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %SVCKEY%."
  set /a FAILS+=1
)
goto :eof

rem ==== helpers ============================================================================
:keep
if "%DRYRUN%"=="1" goto :eof
set "REC_LINE=%~2"
setlocal EnableDelayedExpansion
>>"%STATE%\%~1" echo.!REC_LINE!
endlocal
goto :eof

:replace_state
rem Whatever could not be removed stays recorded; the rest of the record goes.
if "%DRYRUN%"=="1" goto :eof
if exist "%STATE%\%~2" (
  copy /y "%STATE%\%~2" "%STATE%\%~1" >nul
  del /f /q "%STATE%\%~2" >nul 2>&1
) else (
  del /f /q "%STATE%\%~1" >nul 2>&1
)
goto :eof

:delete_state
if "%DRYRUN%"=="1" goto :eof
del /f /q "%STATE%\%~1" >nul 2>&1
goto :eof

:run
if "%DRYRUN%"=="1" goto :run_dry
if defined LOGFILE >>"%LOGFILE%" echo.run: %*
call %* >"%TMPOUT%" 2>&1
set "RUN_RC=%ERRORLEVEL%"
if defined LOGFILE type "%TMPOUT%" >>"%LOGFILE%"
if defined LOGFILE >>"%LOGFILE%" echo.  [exit code %RUN_RC%]
goto :eof
:run_dry
echo.[dryrun] %*
set "RUN_RC=0"
goto :eof

:say
set "SAY_MSG=%~1"
setlocal EnableDelayedExpansion
echo.!SAY_MSG!
if defined LOGFILE >>"!LOGFILE!" echo.!SAY_MSG!
endlocal
goto :eof

:restart_prompt
rem Asked at the end of an interactive run (never under /force, /quiet or /noreboot); the
rem default answer does nothing.
if "%REBOOT%"=="1" call :say "A restart is needed to finish."
set "REPLY="
set /p "REPLY=Restart now (R), shut down (S) or neither (N)? [r/s/N] "
if /i "%REPLY:~0,1%"=="r" (
  call :run shutdown /r /t 10 /c "%~1"
  goto :eof
)
if /i "%REPLY:~0,1%"=="s" (
  call :run shutdown /s /t 10 /c "%~1"
  goto :eof
)
if "%REBOOT%"=="1" call :say "Restart Windows later to finish."
goto :eof

:ask
set "ANSWER=0"
set "REPLY="
set /p "REPLY=%~1 [y/N] "
if /i "%REPLY:~0,1%"=="y" set "ANSWER=1"
goto :eof

:detect_os
set "OS_VER="
for /f "delims=" %%v in ('ver') do set "OS_LINE=%%v"
set "OS_LINE=%OS_LINE:[= %"
set "OS_LINE=%OS_LINE:]= %"
for %%t in (%OS_LINE%) do set "OS_VER=%%t"
set "OS_MAJOR=0"
for /f "tokens=1 delims=." %%a in ("%OS_VER%") do set "OS_MAJOR=%%a"
set "PNP_NEW=0"
if %OS_MAJOR% GEQ 10 set "PNP_NEW=1"
goto :eof

:parse_args
if "%~1"=="" goto :eof
set "ARG=%~1"
if "%ARG:~0,1%"=="-" set "ARG=/%ARG:~1%"
if /i "%ARG%"=="/force" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/quiet" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/noreboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/no-reboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/cleanupstorage" (set "F_CLEANUPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/cleanup-storage" (set "F_CLEANUPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/cleanupstorageforce" (set "F_CLEANUPSTORAGEFORCE=1" & goto :parse_next)
if /i "%ARG%"=="/cleanup-storage-force" (set "F_CLEANUPSTORAGEFORCE=1" & goto :parse_next)
if /i "%ARG%"=="/dryrun" (set "DRYRUN=1" & goto :parse_next)
if /i "%ARG%"=="/?" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/h" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/help" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/-help" (set "HELP=1" & goto :parse_next)
if defined BADARG goto :parse_next
set "BADARG=%~1"
set "BADOPT=%ARG%"
:parse_next
shift
goto :parse_args

:usage_bad
set "SG_LIST=/force /quiet /noreboot /no-reboot /cleanupstorage /cleanup-storage /cleanupstorageforce /cleanup-storage-force /dryrun /help"
call :suggest
if defined SUGGEST (
  call :say "uninstall.cmd: unknown option %BADARG%; did you mean %SUGGEST%?"
) else (
  call :say "uninstall.cmd: unknown option %BADARG%"
)
call :usage
exit /b 2
:usage_ok
call :usage
exit /b 0
:usage
echo.
echo Usage: uninstall.cmd [options]   (run as Administrator)
echo.
echo   /force, /quiet          no prompts and no restart (imply /noreboot); test signing and
echo                           integrity checks are left as they are
echo   /noreboot               never restart or shut down, never ask to (/no-reboot)
echo   /cleanupstorage         also remove the boot storage pre-seed and storage driver package,
echo                           after asking (/cleanup-storage); do this only after the VM's
echo                           disk is no longer virtio
echo   /cleanupstorageforce    let /cleanupstorage run under /force or /quiet, without asking
echo                           (/cleanup-storage-force)
echo   /dryrun                 print every system-changing command instead of running it
echo.
echo Exit codes: 0 done, 1 a step failed or cancelled, 2 bad option, 10 not Administrator.
goto :eof

:suggest
rem SUGGEST: the option of the list SG_LIST closest to BADOPT: the one sharing the most characters
rem at the start plus at the end (case-blind), when those cover more than half of BADOPT and
rem at least 3 characters; none otherwise. The comparisons are spelled out for each length
rem up to 32 because a loop over characters is very slow in cmd.
set "SUGGEST="
set "SG_BEST=0"
set "SG_ALEN=0"
:suggest_len
call set "SG_C=%%BADOPT:~%SG_ALEN%,1%%"
if not defined SG_C goto :suggest_scan
set /a SG_ALEN+=1
goto :suggest_len
:suggest_scan
for %%o in (%SG_LIST%) do call :suggest_one %%o
goto :eof

:suggest_one
set "SG_O=%~1"
set "SG_P=0"
set "SG_Q=0"
if /i "%BADOPT:~0,1%"=="%SG_O:~0,1%" set "SG_P=1"
if /i "%BADOPT:~0,2%"=="%SG_O:~0,2%" set "SG_P=2"
if /i "%BADOPT:~0,3%"=="%SG_O:~0,3%" set "SG_P=3"
if /i "%BADOPT:~0,4%"=="%SG_O:~0,4%" set "SG_P=4"
if /i "%BADOPT:~0,5%"=="%SG_O:~0,5%" set "SG_P=5"
if /i "%BADOPT:~0,6%"=="%SG_O:~0,6%" set "SG_P=6"
if /i "%BADOPT:~0,7%"=="%SG_O:~0,7%" set "SG_P=7"
if /i "%BADOPT:~0,8%"=="%SG_O:~0,8%" set "SG_P=8"
if /i "%BADOPT:~0,9%"=="%SG_O:~0,9%" set "SG_P=9"
if /i "%BADOPT:~0,10%"=="%SG_O:~0,10%" set "SG_P=10"
if /i "%BADOPT:~0,11%"=="%SG_O:~0,11%" set "SG_P=11"
if /i "%BADOPT:~0,12%"=="%SG_O:~0,12%" set "SG_P=12"
if /i "%BADOPT:~0,13%"=="%SG_O:~0,13%" set "SG_P=13"
if /i "%BADOPT:~0,14%"=="%SG_O:~0,14%" set "SG_P=14"
if /i "%BADOPT:~0,15%"=="%SG_O:~0,15%" set "SG_P=15"
if /i "%BADOPT:~0,16%"=="%SG_O:~0,16%" set "SG_P=16"
if /i "%BADOPT:~0,17%"=="%SG_O:~0,17%" set "SG_P=17"
if /i "%BADOPT:~0,18%"=="%SG_O:~0,18%" set "SG_P=18"
if /i "%BADOPT:~0,19%"=="%SG_O:~0,19%" set "SG_P=19"
if /i "%BADOPT:~0,20%"=="%SG_O:~0,20%" set "SG_P=20"
if /i "%BADOPT:~0,21%"=="%SG_O:~0,21%" set "SG_P=21"
if /i "%BADOPT:~0,22%"=="%SG_O:~0,22%" set "SG_P=22"
if /i "%BADOPT:~0,23%"=="%SG_O:~0,23%" set "SG_P=23"
if /i "%BADOPT:~0,24%"=="%SG_O:~0,24%" set "SG_P=24"
if /i "%BADOPT:~0,25%"=="%SG_O:~0,25%" set "SG_P=25"
if /i "%BADOPT:~0,26%"=="%SG_O:~0,26%" set "SG_P=26"
if /i "%BADOPT:~0,27%"=="%SG_O:~0,27%" set "SG_P=27"
if /i "%BADOPT:~0,28%"=="%SG_O:~0,28%" set "SG_P=28"
if /i "%BADOPT:~0,29%"=="%SG_O:~0,29%" set "SG_P=29"
if /i "%BADOPT:~0,30%"=="%SG_O:~0,30%" set "SG_P=30"
if /i "%BADOPT:~0,31%"=="%SG_O:~0,31%" set "SG_P=31"
if /i "%BADOPT:~0,32%"=="%SG_O:~0,32%" set "SG_P=32"
if /i "%BADOPT:~-1%"=="%SG_O:~-1%" set "SG_Q=1"
if /i "%BADOPT:~-2%"=="%SG_O:~-2%" set "SG_Q=2"
if /i "%BADOPT:~-3%"=="%SG_O:~-3%" set "SG_Q=3"
if /i "%BADOPT:~-4%"=="%SG_O:~-4%" set "SG_Q=4"
if /i "%BADOPT:~-5%"=="%SG_O:~-5%" set "SG_Q=5"
if /i "%BADOPT:~-6%"=="%SG_O:~-6%" set "SG_Q=6"
if /i "%BADOPT:~-7%"=="%SG_O:~-7%" set "SG_Q=7"
if /i "%BADOPT:~-8%"=="%SG_O:~-8%" set "SG_Q=8"
if /i "%BADOPT:~-9%"=="%SG_O:~-9%" set "SG_Q=9"
if /i "%BADOPT:~-10%"=="%SG_O:~-10%" set "SG_Q=10"
if /i "%BADOPT:~-11%"=="%SG_O:~-11%" set "SG_Q=11"
if /i "%BADOPT:~-12%"=="%SG_O:~-12%" set "SG_Q=12"
if /i "%BADOPT:~-13%"=="%SG_O:~-13%" set "SG_Q=13"
if /i "%BADOPT:~-14%"=="%SG_O:~-14%" set "SG_Q=14"
if /i "%BADOPT:~-15%"=="%SG_O:~-15%" set "SG_Q=15"
if /i "%BADOPT:~-16%"=="%SG_O:~-16%" set "SG_Q=16"
if /i "%BADOPT:~-17%"=="%SG_O:~-17%" set "SG_Q=17"
if /i "%BADOPT:~-18%"=="%SG_O:~-18%" set "SG_Q=18"
if /i "%BADOPT:~-19%"=="%SG_O:~-19%" set "SG_Q=19"
if /i "%BADOPT:~-20%"=="%SG_O:~-20%" set "SG_Q=20"
if /i "%BADOPT:~-21%"=="%SG_O:~-21%" set "SG_Q=21"
if /i "%BADOPT:~-22%"=="%SG_O:~-22%" set "SG_Q=22"
if /i "%BADOPT:~-23%"=="%SG_O:~-23%" set "SG_Q=23"
if /i "%BADOPT:~-24%"=="%SG_O:~-24%" set "SG_Q=24"
if /i "%BADOPT:~-25%"=="%SG_O:~-25%" set "SG_Q=25"
if /i "%BADOPT:~-26%"=="%SG_O:~-26%" set "SG_Q=26"
if /i "%BADOPT:~-27%"=="%SG_O:~-27%" set "SG_Q=27"
if /i "%BADOPT:~-28%"=="%SG_O:~-28%" set "SG_Q=28"
if /i "%BADOPT:~-29%"=="%SG_O:~-29%" set "SG_Q=29"
if /i "%BADOPT:~-30%"=="%SG_O:~-30%" set "SG_Q=30"
if /i "%BADOPT:~-31%"=="%SG_O:~-31%" set "SG_Q=31"
if /i "%BADOPT:~-32%"=="%SG_O:~-32%" set "SG_Q=32"
set /a SG_SCORE=SG_P+SG_Q
if %SG_SCORE% GTR %SG_ALEN% set "SG_SCORE=%SG_ALEN%"
set /a SG_TWICE=SG_SCORE*2
if %SG_SCORE% LSS 3 goto :eof
if %SG_TWICE% LEQ %SG_ALEN% goto :eof
if %SG_SCORE% LEQ %SG_BEST% goto :eof
set "SG_BEST=%SG_SCORE%"
set "SUGGEST=%SG_O%"
goto :eof

